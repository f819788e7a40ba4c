// The measured power data (label data): every file reads, and the evaluation runs on it with
// leave-one-GPU-out training.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data_dir.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"
#include "gpuopt/power/evaluate.hpp"

namespace gpuopt::power {
namespace {

namespace fs = std::filesystem;

TEST(PowerData, EveryFileIsACurveFileOrRefusedAsNotOne) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  std::size_t curve_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data / "power")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    const std::string path = entry.path().string();
    std::vector<JobCurve> curves;
    try {
      curves = load_power_file(path);
    } catch (const UsageError& e) {
      // Not curves: epochs-to-target, per-stage limits, fitted model parameters, PTX counts.
      const std::string name = entry.path().filename().string();
      EXPECT_TRUE(name == "summary_train.csv" || name == "zeus_local.csv" || name == "ptx.csv" ||
                  name.find("-params-") != std::string::npos)
          << e.what();
      continue;
    }
    ++curve_files;
    ASSERT_FALSE(curves.empty()) << path;
    for (const JobCurve& c : curves) {
      EXPECT_FALSE(c.gpu.empty()) << path;
      EXPECT_TRUE(
          std::is_sorted(c.points.begin(), c.points.end(),
                         [](const OperatingPoint& a, const OperatingPoint& b) { return a.knob < b.knob; }))
          << c.key();
      for (const OperatingPoint& p : c.points) EXPECT_TRUE(p.time_s > 0 && p.avg_power_w > 0) << c.key();
    }
  }
  EXPECT_GE(curve_files, 30U);
}

TEST(PowerData, ZeusSweepsHaveTheirEpochsToTarget) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  const auto curves = load_power_file((data / "power/zeus-nsdi23/summary_power_v100.csv").string());
  EXPECT_EQ(curves.size(), 68U);
  const auto with_epochs =
      std::count_if(curves.begin(), curves.end(), [](const JobCurve& c) { return c.units_per_job > 0; });
  EXPECT_GT(with_epochs, 40);
}

TEST(PowerData, EvaluationTrainsOnlyOnTheOtherGpus) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  auto curves = load_power_file((data / "power/zeus-nsdi23/summary_power_v100.csv").string());
  const auto a40 = load_power_file((data / "power/zeus-nsdi23/summary_power_a40.csv").string());
  curves.insert(curves.end(), a40.begin(), a40.end());
  EvalOptions options;
  options.holdout_gpu = "a40";
  options.optimizers = {"zeus-sweep", "gpuopt"};
  const Evaluation e = evaluate(curves, options);
  ASSERT_EQ(e.results.size(), 2 * a40.size());
  for (const EvalResult& r : e.results) {
    EXPECT_EQ(r.gpu, "a40");
    if (r.optimizer == "gpuopt") {
      EXPECT_NE(r.reason.find("pretrained on 68 curves"), std::string::npos) << r.reason;
    }
    EXPECT_GE(r.cost_vs_oracle, 0.999);
  }
  ASSERT_EQ(e.summary.size(), 2U);
  EXPECT_LT(e.summary[1].median_probe_s, e.summary[0].median_probe_s);
}

}  // namespace
}  // namespace gpuopt::power
