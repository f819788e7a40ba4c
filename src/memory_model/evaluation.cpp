// Held-out scoring and cross-validation of memory predictors (evaluation.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"

namespace gpuopt::memory {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ModelScores score_predictions(std::string name, std::span<const Task> tasks,
                              std::span<const MemoryPrediction> predictions, const RowSelection& selection) {
  std::vector<double> truth, peak, upper;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!is_scored(tasks[i], selection)) continue;
    // A measured peak cannot exceed the card's memory (a run that needs more dies of OOM), so a
    // prediction is scored as the measurement it stands for: capped there.
    const double card_mib = tasks[i].gpu_mem_mib ? static_cast<double>(*tasks[i].gpu_mem_mib) : INFINITY;
    truth.push_back(*tasks[i].peak_mem_mib);
    peak.push_back(std::min(predictions[i].peak_mem_mib, card_mib));
    upper.push_back(std::min(predictions[i].peak_mem_upper_mib, card_mib));
  }
  ModelScores out;
  out.name = std::move(name);
  out.scores = ml::score_regression(truth, peak);
  if (!truth.empty()) out.bound = ml::score_bound(truth, upper);
  return out;
}

HeldOutRun evaluate_predictor(const MemoryPredictor& predictor, std::span<const Task> tasks,
                              const RowSelection& selection) {
  const auto start = std::chrono::steady_clock::now();
  HeldOutRun run;
  run.predictions = predictor.predict(tasks);
  const double predict_s = seconds_since(start);
  run.summary = score_predictions(predictor.name(), tasks, run.predictions, selection);
  if (!tasks.empty()) run.summary.predict_us = predict_s * 1e6 / static_cast<double>(tasks.size());
  return run;
}

HeldOutRun cross_validate(std::string_view name, std::span<const Task> tasks, std::span<const int> folds,
                          int k, const RowSelection& selection, const TrainOptions& options,
                          const std::function<void(int fold, int k)>& on_fold) {
  HeldOutRun run;
  run.predictions.resize(tasks.size());
  double train_s = 0, predict_s = 0;
  for (int fold = 0; fold < k; ++fold) {
    std::vector<Task> train, test;
    std::vector<std::size_t> test_rows;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (folds[i] == fold) {
        test.push_back(tasks[i]);
        test_rows.push_back(i);
      } else if (is_trainable(tasks[i], selection)) {
        train.push_back(tasks[i]);
      }
    }
    auto predictor = make_predictor(name);
    TrainOptions fold_options = options;
    fold_options.seed = options.seed + static_cast<std::uint64_t>(fold);
    auto start = std::chrono::steady_clock::now();
    predictor->fit(train, fold_options);
    train_s += seconds_since(start);
    if (options.stop && options.stop->load()) throw Error("cross-validation interrupted");
    start = std::chrono::steady_clock::now();
    const std::vector<MemoryPrediction> predicted = predictor->predict(test);
    predict_s += seconds_since(start);
    for (std::size_t j = 0; j < test_rows.size(); ++j) run.predictions[test_rows[j]] = predicted[j];
    if (on_fold) on_fold(fold, k);
  }
  run.summary = score_predictions(std::string(name), tasks, run.predictions, selection);
  run.summary.train_s = train_s;
  if (!tasks.empty()) run.summary.predict_us = predict_s * 1e6 / static_cast<double>(tasks.size());
  return run;
}

}  // namespace gpuopt::memory
