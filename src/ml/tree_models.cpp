// The tree regressors that are one XGBoost booster (dt, rf, xgboost) and the registry of all four.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/ml/tabular.hpp"
#include "tree_common.hpp"
#include "xgboost_booster.hpp"

namespace gpuopt::ml {
namespace {

constexpr const char* kPrefix = "tree:";

// How one registry name turns into XGBoost training.
struct BoosterRecipe {
  std::string name;
  int boosting_rounds = 1;
  int max_depth = 6;
  XgbParams params;
};

BoosterRecipe single_tree_recipe(const TreeOptions& options) {
  return {"tree:dt", 1, options.max_depth > 0 ? options.max_depth : 10, mean_leaf_params()};
}

// All trees in one round, each on a row sample without replacement (0.632 = the share of distinct
// rows in a bootstrap sample) and a column sample per split; XGBoost averages the parallel trees.
BoosterRecipe forest_recipe(const TreeOptions& options) {
  const int trees = options.rounds > 0 ? options.rounds : 200;
  XgbParams params = mean_leaf_params();
  params.insert(
      params.end(),
      {{"num_parallel_tree", std::to_string(trees)}, {"subsample", "0.632"}, {"colsample_bynode", "0.6"}});
  return {"tree:rf", 1, options.max_depth > 0 ? options.max_depth : 12, std::move(params)};
}

BoosterRecipe boosting_recipe(const TreeOptions& options) {
  return {"tree:xgboost",
          options.rounds > 0 ? options.rounds : 400,
          options.max_depth > 0 ? options.max_depth : 6,
          {{"eta", "0.1"}, {"subsample", "0.8"}, {"colsample_bytree", "0.8"}}};
}

class BoosterRegressor final : public TabularRegressor {
 public:
  BoosterRegressor(BoosterRecipe recipe, const TreeOptions& options)
      : recipe_(std::move(recipe)), options_(options) {}

  std::string name() const override { return recipe_.name; }

  void fit(const FeatureMatrix& x, std::span<const float> y, std::span<const float> weights) override {
    check_training_set(x, y, weights);
    const std::vector<float> unit_weights = mean_one_weights(weights, x.rows);
    XgbMatrix train(x, options_.threads);
    train.set_labels(y);
    train.set_weights(unit_weights);
    XgbParams params = tree_params(options_, recipe_.max_depth, y, unit_weights);
    params.insert(params.end(), recipe_.params.begin(), recipe_.params.end());
    booster_ = XgbBooster::train(train, params, recipe_.boosting_rounds);
    features_ = x.cols;
  }

  std::vector<float> predict(const FeatureMatrix& x) const override {
    check_prediction_input(recipe_.name, features_, x);
    if (x.rows == 0) return {};
    return booster_->predict(XgbMatrix(x, options_.threads));
  }

  std::string save() const override {
    if (!booster_) throw std::logic_error(recipe_.name + ": save() before fit() or load()");
    return encode_tree_model(recipe_.name, features_, nlohmann::json::object(),
                             {{"booster", booster_->save_raw()}});
  }

  void load(std::string_view bytes) override {
    const ModelFile file = decode_tree_model(bytes, recipe_.name);
    const std::size_t features = tree_model_features(file, recipe_.name);
    XgbBooster booster =
        XgbBooster::load_raw(tree_model_section(file, recipe_.name, "booster"), recipe_.name + " model");
    if (static_cast<std::size_t>(booster.num_features()) != features) {
      throw ParseError(
          recipe_.name + " model", 0, "features",
          fmt::format("header says {} but the booster has {}", features, booster.num_features()));
    }
    booster.set_param("nthread", std::to_string(std::max(1, options_.threads)));
    booster_ = std::move(booster);
    features_ = features;
  }

 private:
  BoosterRecipe recipe_;
  TreeOptions options_;
  std::optional<XgbBooster> booster_;
  std::size_t features_ = 0;
};

}  // namespace

std::vector<std::string> tree_regressor_names() {
  return {"tree:dt", "tree:rf", "tree:adaboost", "tree:xgboost"};
}

std::unique_ptr<TabularRegressor> make_tree_regressor(std::string_view name, const TreeOptions& options) {
  if (options.rounds < 0 || options.max_depth < 0) {
    throw UsageError(fmt::format("tree model {}: rounds and max depth must not be negative", name));
  }
  const std::string_view bare =
      name.starts_with(kPrefix) ? name.substr(std::string_view(kPrefix).size()) : name;
  if (bare == "dt") return std::make_unique<BoosterRegressor>(single_tree_recipe(options), options);
  if (bare == "rf") return std::make_unique<BoosterRegressor>(forest_recipe(options), options);
  if (bare == "xgboost") return std::make_unique<BoosterRegressor>(boosting_recipe(options), options);
  if (bare == "adaboost") return make_adaboost_r2(options);
  throw UsageError(
      fmt::format("unknown tree model '{}' (valid: {})", name, fmt::join(tree_regressor_names(), ", ")));
}

}  // namespace gpuopt::ml
