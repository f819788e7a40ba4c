// Accuracy of forecasters on held-out traces: MAE, RMSE and MASE (MAE relative to persistence on
// the same origins), per model x channel x horizon, and leave-one-trace-out cross-validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/forecast/training.hpp"

namespace gpuopt::forecast {

struct EvalRow {
  std::string group;  // "" = every scored trace; else the traces CrossValidationOptions::group named so
  std::string model;
  Channel channel = Channel::power;
  std::chrono::milliseconds horizon{0};
  std::size_t n = 0;  // scored origins
  double mae = 0;     // channel unit
  double rmse = 0;
  double mase = 0;  // mae / persistence's mae on the same origins (NaN when that is 0)
};

// One scored forecast: the model's value (persistence's where the model has none) and
// persistence's for `horizon` ahead of the window's origin, and the value observed there.
struct ScoredForecast {
  const WindowRef* window = nullptr;
  const std::string* model = nullptr;
  Channel channel = Channel::power;
  std::chrono::milliseconds horizon{0};
  float observed = 0;
  float forecast = 0;
  float persistence = 0;
};
using ForecastSink = std::function<void(const ScoredForecast&)>;

// Sums errors over folds; every model added for a set of windows is compared with persistence
// on exactly those windows. Not thread-safe.
class EvalAccumulator {
 public:
  explicit EvalAccumulator(ForecastSpec spec);
  // Scores each model (and persistence, as the reference) on the same origins.
  // `sink`, when given, gets every forecast scored, in model, window, channel, horizon order.
  void add(std::span<const Forecaster* const> models, std::span<const WindowRef> windows,
           const ForecastSink& sink = {});
  // One row per model (in order of first appearance) x channel x horizon with n > 0, labelled `group`.
  std::vector<EvalRow> rows(const std::string& group = "") const;

 private:
  struct Sums {
    std::size_t n = 0;
    double abs = 0;
    double sq = 0;
    double ref_abs = 0;  // persistence's absolute error on the same rows
  };
  void score(const Forecaster& model, std::span<const WindowRef> windows, std::span<const float> reference,
             const ForecastSink& sink);
  ForecastSpec spec_;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<Sums>> sums_;  // model -> [channel * horizons + h]
};

struct CrossValidationOptions {
  std::vector<std::string> models;
  // 0 = one fold per trace (leave-one-trace-out); K = K folds, trace i held out in fold i % K
  // (in path order): every trace is still scored only by models that never saw it.
  std::size_t folds = 0;
  // Optional: traces with the same key are held out together, one fold per key in key order, and
  // `folds` is not used. Keyed by their folder (one GPU type and workload in the shared data), every
  // trace is scored by models that never saw its kind of GPU or job.
  std::function<std::string(const Trace&)> fold_key;
  TrainOptions train;
  std::size_t max_train_windows = 60000;
  std::size_t eval_stride = 10;  // score one origin every this many steps (10 = 1 s at 100 ms)
  // Before training each (fold, model); for progress.
  std::function<void(std::size_t fold, std::size_t folds, const std::string& model)> on_train;
  // Optional: also report rows per group of traces (e.g. their folder).
  std::function<std::string(const Trace&)> group;
  // After a fold's models are trained: each held-out trace and the fold's models (by name).
  std::function<void(const Trace& test, const std::map<std::string, const Forecaster*>& models)> on_fold;
  // Optional: every forecast scored, with the held-out trace it is on.
  std::function<void(const Trace& test, const ScoredForecast& forecast)> on_forecast;
};

// Which fold holds out each trace (by file) under options.folds and options.fold_key, and how many
// folds there are (fewer than 2 when a fold_key gives every trace the same key).
struct FoldPlan {
  std::map<std::string, std::size_t> fold_of;
  std::size_t folds = 0;
};
FoldPlan plan_folds(std::span<const Trace> traces, const CrossValidationOptions& options);

// Each trace is held out once: the models train on the traces outside its fold and are scored
// on it. Traces too short for any origin are skipped (they still serve as training data). Rows of every
// trace come first (group ""), then those of each group in name order. Throws Error when
// options.train.stop is set during the run (the folds done would pass for all of them), and when
// options.fold_key gives every trace the same key (nothing would be left to train on).
std::vector<EvalRow> leave_one_trace_out(std::vector<Trace>& traces, const ForecastSpec& spec,
                                         const CrossValidationOptions& options);

// Every scorable origin of the traces, every `stride` steps.
std::vector<WindowRef> evaluation_windows(std::span<const Trace> traces, const ForecastSpec& spec,
                                          std::size_t stride);

}  // namespace gpuopt::forecast
