// Peak-GPU-memory predictors behind one interface, created by registry name:
//   analytic                  no learning: the documented formula of analytic.hpp (fit only calibrates
//                             the safe bound)
//   tree:dt|rf|adaboost|xgboost  tree regressors on task_features() (the paper's baselines)
//   seq:bigru-transformer     the hybrid sequence model: per-layer tokens -> BiGRU -> Transformer ->
//                             pooled + task features -> a physics-structured head (docs/memory.md)
//   seq:bigru, seq:transformer  ablations of the hybrid (one encoder half each)
// Every predictor gives a point estimate and a safe upper bound calibrated on a validation split
// grouped by family, aiming at 95 % coverage. Memory is in MiB throughout.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuopt/memory/task.hpp"
#include "gpuopt/ml/model_file.hpp"

namespace gpuopt::memory {

struct MemoryPrediction {
  double peak_mem_mib = 0;
  double peak_mem_upper_mib = 0;  // safe bound, >= peak_mem_mib
};

// Reported by fit() once per epoch (sequence models) or once per stage (trees).
struct TrainProgress {
  int epoch = 0;   // 1-based
  int epochs = 0;  // the maximum; early stopping may end before it
  double train_loss = 0;
  double val_mape = 0;       // this epoch's, on the validation split, as a fraction
  double best_val_mape = 0;  // of the best epoch so far: the model fit() keeps
};

// Which parameters fine-tuning keeps fixed: none, or the sequence encoder (then only the head that
// turns the pooled encoding and the task features into a peak and a bound is trained).
enum class FreezePolicy { none, encoder };
// "none", "encoder"; UsageError listing them otherwise.
FreezePolicy parse_freeze_policy(std::string_view name);
std::string freeze_policy_name(FreezePolicy policy);

struct TrainOptions {
  std::uint64_t seed = 1;
  int threads = 1;
  int epochs = 0;                    // sequence models: 0 = the default (early stopping ends sooner)
  double bound_coverage = 0.95;      // the safe bound's target coverage, in (0, 1); calibrated
                                     // one point above it (bound_calibration.hpp)
  double validation_fraction = 0.2;  // of the groups, for early stopping and the bound calibration
  std::function<void(const TrainProgress&)> on_progress;  // called on the training thread
  const std::atomic<bool>* stop = nullptr;  // when it becomes true, training ends with the best model so far
  // Fine-tuning (seq:* models only; the others throw UsageError): start from this model file's
  // weights and feature scaling instead of from scratch, at a smaller learning rate, keeping the
  // starting point when no epoch improves the validation loss. It must be a model of the same name
  // (UsageError otherwise; ParseError naming init_source when it does not load). The new model's
  // meta "training"."fine_tune" records init_source, the freeze policy and what init was trained on.
  const ml::ModelFile* init = nullptr;
  std::string init_source;                   // names `init` in errors and in the meta
  FreezePolicy freeze = FreezePolicy::none;  // anything but none needs init (UsageError)
};

// Tasks used to train: status "ok" with a measured peak (and "oom" rows, which the sequence models
// use as "needs more than the GPU's memory"). Which rows are scored is decided by the caller.
class MemoryPredictor {
 public:
  virtual ~MemoryPredictor() = default;
  virtual std::string name() const = 0;  // registry name
  // Trains from scratch, or fine-tunes from options.init. Throws UsageError when there are too few
  // measured rows (< 10) or the fine-tuning options do not fit the model.
  virtual void fit(std::span<const Task> tasks, const TrainOptions& options) = 0;
  // Requires fit or load. Thread-safe for concurrent calls on a const predictor.
  virtual std::vector<MemoryPrediction> predict(std::span<const Task> tasks) const = 0;
  // A self-contained model file: meta domain "memory", model name().
  virtual ml::ModelFile save() const = 0;
  // Restores what save() wrote; throws ParseError naming `source` when the file does not fit.
  virtual void load(const ml::ModelFile& file, const std::string& source) = 0;

  MemoryPrediction predict_one(const Task& task) const { return predict({&task, 1}).front(); }
};

// Registry. An unknown name throws UsageError listing the valid ones.
std::unique_ptr<MemoryPredictor> make_predictor(std::string_view name);
const std::vector<std::string>& predictor_names();

// Loads any memory model file (the predictor is chosen by meta "model"). `source` names the file in
// errors. Throws ParseError / UsageError (not a memory model) / Error (unreadable file).
std::unique_ptr<MemoryPredictor> load_predictor(const ml::ModelFile& file, const std::string& source);
std::unique_ptr<MemoryPredictor> load_predictor_file(const std::string& path);
// The model shipped inside gpuopt (models/memory-default.gpuopt, reproduced by
// bench/memory_default_model.sh).
std::unique_ptr<MemoryPredictor> load_default_predictor();

// Whether a task fits a GPU and the largest batch size whose safe bound fits.
struct FitAnswer {
  MemoryPrediction prediction;      // at the task's batch size
  bool fits = false;                // safe bound <= gpu_mem_mib
  std::int64_t max_batch_size = 0;  // 0 = not even batch size 1 fits; capped at max_batch_limit
};

inline constexpr std::int64_t kMaxBatchLimit = 1 << 20;

// Binary search over batch sizes 1..max_batch_limit, assuming the bound grows with batch size
// (true of every predictor here; checked by tests). Throws UsageError for gpu_mem_mib <= 0.
FitAnswer answer_fit(const MemoryPredictor& predictor, const Task& task, double gpu_mem_mib,
                     std::int64_t max_batch_limit = kMaxBatchLimit);

// The GPU memory to plan for when none is given: the task's gpu_mem_mib, else 40 GiB (an A100-40GB).
double default_gpu_mem_mib(const Task& task);

// The answer of `gpuopt mem predict --json` and of POST /api/v1/memory/predict: {"id", "model",
// "batch_size", "gpu_mem_mib", "peak_mem_mib", "peak_mem_upper_mib", "fits", "max_batch_size"}.
nlohmann::json fit_answer_json(const FitAnswer& answer, const Task& task, double gpu_mem_mib,
                               std::string_view model_name);

}  // namespace gpuopt::memory
