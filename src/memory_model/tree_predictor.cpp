// `tree:*`: the tree baselines of ml/tabular.hpp on task_features(), regressing peak MiB directly
// (as the paper's baselines do). The safe bound's margin is calibrated on a family-grouped
// validation split by a model trained without it; the shipped trees are then refit on every row.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "bound_calibration.hpp"
#include "fine_tune.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/memory/features.hpp"
#include "gpuopt/ml/tabular.hpp"
#include "predictors.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kMinPeakMib = 1;
constexpr const char* kTreeSection = "tree";

std::vector<Task> pick(std::span<const Task> tasks, const std::vector<std::size_t>& rows) {
  std::vector<Task> out;
  out.reserve(rows.size());
  for (std::size_t row : rows) out.push_back(tasks[row]);
  return out;
}

std::vector<float> targets(std::span<const Task> tasks) {
  std::vector<float> y;
  y.reserve(tasks.size());
  for (const Task& t : tasks) y.push_back(static_cast<float>(*t.peak_mem_mib));
  return y;
}

class TreePredictor final : public MemoryPredictor {
 public:
  explicit TreePredictor(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }

  void fit(std::span<const Task> tasks, const TrainOptions& options) override {
    check_fine_tune_options(name(), false, options);
    const std::vector<Task> measured = pick(tasks, measured_rows(tasks));
    const ml::TreeOptions tree_options{options.seed, options.threads, 0, 0};
    const std::vector<bool> validation = validation_mask(measured, options.validation_fraction, options.seed);
    std::vector<std::size_t> train_rows, val_rows;
    for (std::size_t i = 0; i < measured.size(); ++i) (validation[i] ? val_rows : train_rows).push_back(i);
    log_margin_ = 0;
    if (!val_rows.empty()) {
      const std::vector<Task> train = pick(measured, train_rows), val = pick(measured, val_rows);
      auto calibration_model = ml::make_tree_regressor(name_, tree_options);
      calibration_model->fit(task_features(train), targets(train), {});
      const std::vector<float> predicted = calibration_model->predict(task_features(val));
      std::vector<double> truth, reference;
      for (std::size_t i = 0; i < val.size(); ++i) {
        truth.push_back(*val[i].peak_mem_mib);
        reference.push_back(std::max<double>(predicted[i], kMinPeakMib));
      }
      log_margin_ = conformal_log_margin(truth, reference, options.bound_coverage);
    }
    if (options.on_progress) options.on_progress(TrainProgress{1, 2, 0, 0});
    model_ = ml::make_tree_regressor(name_, tree_options);
    model_->fit(task_features(measured), targets(measured), {});
    if (options.on_progress) options.on_progress(TrainProgress{2, 2, 0, 0});
  }

  std::vector<MemoryPrediction> predict(std::span<const Task> tasks) const override {
    if (!model_) throw Error(name_ + ": predict before fit or load");
    const std::vector<float> predicted = model_->predict(task_features(tasks));
    std::vector<MemoryPrediction> out;
    out.reserve(tasks.size());
    for (float p : predicted) {
      const double peak = std::max<double>(p, kMinPeakMib);
      out.push_back({peak, peak * std::exp(log_margin_)});
    }
    return out;
  }

  ml::ModelFile save() const override {
    if (!model_) throw Error(name_ + ": save before fit or load");
    ml::ModelFile file = new_memory_model_file(name_);
    file.meta["bound_log_margin"] = log_margin_;
    file.meta["features"] = task_feature_names();
    file.sections[kTreeSection] = model_->save();
    return file;
  }

  void load(const ml::ModelFile& file, const std::string& source) override {
    log_margin_ = meta_number(file, "bound_log_margin", source, 0, kMaxBoundLogMargin);
    if (file.meta.value("features", nlohmann::json::array()) != nlohmann::json(task_feature_names())) {
      throw ParseError(source, 0, "features", "the model was trained on other task features; retrain it");
    }
    const auto section = file.sections.find(kTreeSection);
    if (section == file.sections.end()) throw ParseError(source, 0, kTreeSection, "section missing");
    model_ = ml::make_tree_regressor(name_, ml::TreeOptions{});
    try {
      model_->load(section->second);
    } catch (const ParseError& e) {
      throw ParseError(source, 0, kTreeSection, e.reason());
    }
  }

 private:
  std::string name_;
  double log_margin_ = 0;
  std::unique_ptr<ml::TabularRegressor> model_;
};

}  // namespace

std::unique_ptr<MemoryPredictor> make_tree_predictor(std::string_view tree_name) {
  return std::make_unique<TreePredictor>(std::string(tree_name));
}

}  // namespace gpuopt::memory
