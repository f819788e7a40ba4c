// Scoring memory predictors: which rows count, splits grouped by family, cross-validation and
// held-out evaluation, as reported by `gpuopt mem eval` and bench/memory_eval.sh.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/memory/task.hpp"
#include "gpuopt/ml/regression_metrics.hpp"

namespace gpuopt::memory {

// Rows scored by default: status "ok", quality "clean", a measured peak > 0. The flags add rows
// with quality "noisy" and with status "near_capacity" (whose peak may be capped by the card).
struct RowSelection {
  bool include_noisy = false;
  bool include_near_capacity = false;
};
bool is_scored(const Task& task, const RowSelection& selection);
// Rows a predictor may train on: the scored rows plus the "oom" rows (peak above the GPU's memory).
bool is_trainable(const Task& task, const RowSelection& selection);

// The group of each task for grouped splits: its family, or its model when the task's source has
// fewer than `min_families` families (the generated MLP/CNN sets are one family each).
std::vector<std::string> split_groups(std::span<const Task> tasks, std::size_t min_families = 5);

// A fold in [0, k) per task. Whole groups go to one fold; within each source, groups are dealt
// (in a seeded random order) to the fold holding the fewest rows, so folds are balanced per source.
// Deterministic for a seed. Throws UsageError when k < 2 or there are fewer groups than k.
std::vector<int> group_folds(std::span<const Task> tasks, int k, std::uint64_t seed,
                             std::size_t min_families = 5);

// The figures of one predictor on one set of rows (the JSON of `mem eval --json`).
struct ModelScores {
  std::string name;
  ml::RegressionScores scores;  // MiB
  ml::BoundScores bound;
  double train_s = 0;     // wall time of fit(), summed over folds
  double predict_us = 0;  // wall time of predict() per row
};

// Scores predictions of `tasks` (aligned) on the rows `selection` scores.
ModelScores score_predictions(std::string name, std::span<const Task> tasks,
                              std::span<const MemoryPrediction> predictions, const RowSelection& selection);

// Predicts `tasks` with a trained predictor and scores the selected rows (predict_us measured).
struct HeldOutRun {
  ModelScores summary;
  std::vector<MemoryPrediction> predictions;  // one per task, scored or not
};
HeldOutRun evaluate_predictor(const MemoryPredictor& predictor, std::span<const Task> tasks,
                              const RowSelection& selection);

// k-fold cross-validation: per fold, a fresh predictor `name` is trained on the other folds'
// trainable rows and predicts every row of the fold. `on_fold(fold, k)` is called after each fold.
// Stops early (throwing Error "interrupted") when options.stop becomes true.
HeldOutRun cross_validate(std::string_view name, std::span<const Task> tasks, std::span<const int> folds,
                          int k, const RowSelection& selection, const TrainOptions& options,
                          const std::function<void(int fold, int k)>& on_fold = {});

// `mem eval --predictions FILE`: one CSV line per task of a held-out run, to see where a model errs.
// Columns: model, fold (empty when `folds` is empty: a trained model on test files), id, family,
// batch_size, status, quality, scored (1 when `selection` scores the row), measured_mib (empty when
// not measured), peak_mem_mib, peak_mem_upper_mib. Text fields holding a comma, quote or line break
// are quoted (RFC 4180). predictions_csv_header() is the header line.
std::string predictions_csv_header();
std::string predictions_csv(std::string_view model, std::span<const Task> tasks, std::span<const int> folds,
                            std::span<const MemoryPrediction> predictions, const RowSelection& selection);

// `mem eval` output: an aligned text table (one row per model; MSE in MiB^2, errors in MiB, rates in
// %) and the JSON {"models": [{"name", "n", "mse", "rmse_mib", "mae_mib", "r2", "mape",
// "median_ape", "under_pred_rate", "bound_coverage", "bound_median_overprov", "train_s",
// "predict_us"}]} with fractions as fractions.
std::string scores_table(std::span<const ModelScores> rows);
nlohmann::json scores_json(std::span<const ModelScores> rows);

}  // namespace gpuopt::memory
