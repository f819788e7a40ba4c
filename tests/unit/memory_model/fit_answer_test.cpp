// answer_fit's search for the largest batch size, against a predictor with a known line.
#include <gtest/gtest.h>

#include <cmath>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "synthetic_tasks.hpp"

namespace gpuopt::memory {
namespace {

// peak = 1000 + 10 x batch MiB, bound = peak + 100.
class LinePredictor final : public MemoryPredictor {
 public:
  std::string name() const override { return "line"; }
  void fit(std::span<const Task>, const TrainOptions&) override {}
  std::vector<MemoryPrediction> predict(std::span<const Task> tasks) const override {
    std::vector<MemoryPrediction> out;
    for (const Task& t : tasks) {
      const double peak = 1000 + 10 * static_cast<double>(t.batch_size);
      out.push_back({peak, peak + 100});
    }
    ++calls;
    return out;
  }
  ml::ModelFile save() const override { return {}; }
  void load(const ml::ModelFile&, const std::string&) override {}
  mutable int calls = 0;
};

TEST(AnswerFit, FindsTheLargestBatchWhoseBoundFits) {
  const LinePredictor line;
  const Task task = test::synthetic_task(0, 0, 32);
  // bound(b) = 1100 + 10 b <= 40960  <=>  b <= 3986
  const FitAnswer a = answer_fit(line, task, 40960);
  EXPECT_EQ(a.max_batch_size, 3986);
  EXPECT_TRUE(a.fits);
  EXPECT_DOUBLE_EQ(a.prediction.peak_mem_mib, 1320);
  EXPECT_DOUBLE_EQ(a.prediction.peak_mem_upper_mib, 1420);
  EXPECT_LE(line.calls, 6);  // probes are batched, not one call per batch size
}

TEST(AnswerFit, BoundariesOfTheSearch) {
  const LinePredictor line;
  const Task task = test::synthetic_task(0, 0, 200);
  EXPECT_EQ(answer_fit(line, task, 1110).max_batch_size, 1);  // exactly batch 1
  EXPECT_EQ(answer_fit(line, task, 1109).max_batch_size, 0);  // not even batch 1
  EXPECT_FALSE(answer_fit(line, task, 1109).fits);
  EXPECT_FALSE(answer_fit(line, task, 3099).fits);  // bound at 200 is 3100
  EXPECT_TRUE(answer_fit(line, task, 3100).fits);
  EXPECT_EQ(answer_fit(line, task, 1e12, 1000).max_batch_size, 1000);  // capped at the limit
  EXPECT_EQ(answer_fit(line, task, 1e12, 1024).max_batch_size, 1024);
  EXPECT_THROW(answer_fit(line, task, 0), UsageError);
}

TEST(AnswerFit, EveryBoundInTheSearchIsExact) {
  const LinePredictor line;
  const Task task = test::synthetic_task(0, 0, 8);
  for (double gpu = 1110; gpu < 200000; gpu = gpu * 1.37 + 3) {
    const auto expected = static_cast<std::int64_t>(std::floor((gpu - 1100) / 10));
    EXPECT_EQ(answer_fit(line, task, gpu).max_batch_size, expected) << gpu;
  }
}

TEST(AnswerFit, JsonHasTheDocumentedKeys) {
  const LinePredictor line;
  const Task task = test::synthetic_task(0, 0, 8);
  const auto j = fit_answer_json(answer_fit(line, task, 40960), task, 40960, line.name());
  for (const char* key : {"id", "model", "batch_size", "gpu_mem_mib", "peak_mem_mib", "peak_mem_upper_mib",
                          "fits", "max_batch_size"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["max_batch_size"], 3986);
}

TEST(AnswerFit, DefaultGpuMemoryIsTheTasksOr40GiB) {
  Task task = test::synthetic_task(0, 0, 8);
  EXPECT_EQ(default_gpu_mem_mib(task), 40960);
  task.gpu_mem_mib = 81920;
  EXPECT_EQ(default_gpu_mem_mib(task), 81920);
}

}  // namespace
}  // namespace gpuopt::memory
