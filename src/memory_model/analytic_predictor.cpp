// `analytic`: the formula of analytic.hpp, no learning. fit() only calibrates the safe bound's
// margin on the training rows (the formula never saw them, so they are held-out for it).
#include <cmath>
#include <vector>

#include "bound_calibration.hpp"
#include "fine_tune.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/memory/analytic.hpp"
#include "predictors.hpp"

namespace gpuopt::memory {
namespace {

constexpr const char* kName = "analytic";

class AnalyticPredictor final : public MemoryPredictor {
 public:
  std::string name() const override { return kName; }

  void fit(std::span<const Task> tasks, const TrainOptions& options) override {
    check_fine_tune_options(name(), false, options);
    std::vector<double> truth, estimate;
    for (std::size_t row : measured_rows(tasks)) {
      truth.push_back(*tasks[row].peak_mem_mib);
      estimate.push_back(analytic_estimate(tasks[row]).total_mib());
    }
    log_margin_ = conformal_log_margin(truth, estimate, options.bound_coverage);
    if (options.on_progress) options.on_progress(TrainProgress{1, 1, 0, 0});
  }

  std::vector<MemoryPrediction> predict(std::span<const Task> tasks) const override {
    std::vector<MemoryPrediction> out;
    out.reserve(tasks.size());
    for (const Task& task : tasks) {
      const double peak = analytic_estimate(task).total_mib();
      out.push_back({peak, peak * std::exp(log_margin_)});
    }
    return out;
  }

  ml::ModelFile save() const override {
    ml::ModelFile file = new_memory_model_file(kName);
    file.meta["bound_log_margin"] = log_margin_;
    return file;
  }

  void load(const ml::ModelFile& file, const std::string& source) override {
    log_margin_ = meta_number(file, "bound_log_margin", source, 0, kMaxBoundLogMargin);
  }

 private:
  double log_margin_ = 0;
};

}  // namespace

std::unique_ptr<MemoryPredictor> make_analytic_predictor() { return std::make_unique<AnalyticPredictor>(); }

}  // namespace gpuopt::memory
