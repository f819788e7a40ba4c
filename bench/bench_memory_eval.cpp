// The accuracy targets of issue 3, measured in one run (bench/memory_eval.sh):
//   1. family-grouped 5-fold cross-validation on the timm set (status ok, quality clean) of every
//      memory model, with the hybrid's ratios against the best tree baseline;
//   2. OOM classification on the CNN set: 5-fold (grouped by model) over its ok and oom rows, a
//      row "fits" when the predicted peak is <= 40960 MiB;
//   3. `mem predict` latency per task of the shipped model after load.
// Usage: bench_memory_eval [MODEL...]   (default: every model). Reads $GPUOPT_DATA_DIR/memory.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/memory/evaluation.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/memory/task.hpp"

namespace {

using namespace gpuopt;
namespace fs = std::filesystem;

constexpr int kFolds = 5;
constexpr std::uint64_t kSeed = 1;
constexpr double kGpuMemMib = 40960;

fs::path data_dir() {
  const char* env = std::getenv("GPUOPT_DATA_DIR");
  return env && *env ? fs::path(env) : fs::path("../shared/data");
}

void check(const char* what, double value, const char* op, double target, bool ok) {
  fmt::print("  {:<44} {:>8.3f}  (target {} {})  {}\n", what, value, op, target, ok ? "PASS" : "MISS");
}

void timm_cross_validation(const std::vector<std::string>& names) {
  const std::vector<memory::Task> tasks =
      memory::read_tasks((data_dir() / "memory/timm_a100.jsonl").string());
  const std::vector<int> folds = memory::group_folds(tasks, kFolds, kSeed);
  const memory::RowSelection selection;
  std::vector<memory::ModelScores> rows;
  for (const auto& name : names) {
    fmt::print(stderr, "cross-validating {} ...\n", name);
    rows.push_back(
        memory::cross_validate(name, tasks, folds, kFolds, selection, memory::TrainOptions{}).summary);
  }
  fmt::print("== timm, family-grouped {}-fold cross-validation (status ok, quality clean)\n{}\n", kFolds,
             memory::scores_table(rows));
  const memory::ModelScores* hybrid = nullptr;
  const memory::ModelScores* best_tree = nullptr;
  for (const auto& r : rows) {
    if (r.name == "seq:bigru-transformer") hybrid = &r;
    if (r.name.starts_with("tree:") && (!best_tree || r.scores.rmse < best_tree->scores.rmse)) best_tree = &r;
  }
  if (!hybrid) return;
  fmt::print("targets (seq:bigru-transformer{}):\n", best_tree ? ", best tree " + best_tree->name : "");
  if (best_tree) {
    const double ratio = hybrid->scores.rmse / best_tree->scores.rmse;
    check("RMSE / best tree RMSE", ratio, "<=", 0.7, ratio <= 0.7);
  }
  check("MAPE", hybrid->scores.mape, "<=", 0.10, hybrid->scores.mape <= 0.10);
  check("R2", hybrid->scores.r2, ">=", 0.95, hybrid->scores.r2 >= 0.95);
  check("bound coverage", hybrid->bound.coverage, ">=", 0.95, hybrid->bound.coverage >= 0.95);
  check("bound median over-provisioning", hybrid->bound.median_overprov, "<=", 0.15,
        hybrid->bound.median_overprov <= 0.15);
}

void cnn_oom_classification(const std::vector<std::string>& names) {
  const memory::RowSelection selection;
  std::vector<memory::Task> tasks;
  for (memory::Task& t : memory::read_tasks((data_dir() / "memory/cnn_a100.jsonl").string())) {
    if (memory::is_trainable(t, selection)) tasks.push_back(std::move(t));
  }
  const std::vector<int> folds = memory::group_folds(tasks, kFolds, kSeed);
  fmt::print("\n== CNN set: fits in {} MiB? {}-fold, grouped by model, ok + oom rows ({} rows)\n", kGpuMemMib,
             kFolds, tasks.size());
  for (const auto& name : names) {
    fmt::print(stderr, "OOM classification with {} ...\n", name);
    const auto run = memory::cross_validate(name, tasks, folds, kFolds, selection, memory::TrainOptions{});
    std::size_t correct = 0, oom = 0, oom_correct = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const bool truly_fits = tasks[i].status == "ok";
      const bool predicted_fits = run.predictions[i].peak_mem_mib <= kGpuMemMib;
      correct += truly_fits == predicted_fits;
      oom += !truly_fits;
      oom_correct += !truly_fits && !predicted_fits;
    }
    const double accuracy = static_cast<double>(correct) / static_cast<double>(tasks.size());
    fmt::print("  {:<22} accuracy {:.1f} % (oom rows recognized: {}/{})  {}\n", name, 100 * accuracy,
               oom_correct, oom, accuracy >= 0.95 ? "PASS" : "MISS");
  }
}

void predict_latency() {
  const auto start_load = std::chrono::steady_clock::now();
  const auto predictor = memory::load_default_predictor();
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_load).count();
  const std::vector<memory::Task> tasks =
      memory::read_tasks((data_dir() / "memory/timm_a100.jsonl").string());
  constexpr std::size_t kTasks = 200;
  std::vector<double> predict_ms, answer_ms;
  for (std::size_t i = 0; i < tasks.size() && predict_ms.size() < kTasks; i += tasks.size() / kTasks) {
    auto t0 = std::chrono::steady_clock::now();
    predictor->predict_one(tasks[i]);
    auto t1 = std::chrono::steady_clock::now();
    memory::answer_fit(*predictor, tasks[i], kGpuMemMib);
    auto t2 = std::chrono::steady_clock::now();
    predict_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    answer_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const auto p95 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() * 95 / 100];
  };
  fmt::print("\n== shipped model ({}): load {:.1f} ms; per task over {} timm tasks:\n", predictor->name(),
             load_ms, predict_ms.size());
  fmt::print("  predict (peak + bound)       median {:.2f} ms, p95 {:.2f} ms  {}\n", median(predict_ms),
             p95(predict_ms), median(predict_ms) <= 5 ? "PASS (target <= 5 ms)" : "MISS (target <= 5 ms)");
  fmt::print("  + fits / largest batch size  median {:.2f} ms, p95 {:.2f} ms\n", median(answer_ms),
             p95(answer_ms));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> names(argv + 1, argv + argc);
    if (names.empty()) names = memory::predictor_names();
    timm_cross_validation(names);
    std::vector<std::string> oom_models;
    for (const auto& n : names) {
      if (n == "seq:bigru-transformer" || n == "tree:xgboost" || n == "analytic") oom_models.push_back(n);
    }
    cnn_oom_classification(oom_models);
    predict_latency();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_memory_eval: %s\n", e.what());
    return 1;
  }
  return 0;
}
