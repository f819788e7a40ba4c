// Pieces shared by the tree regressors (tree_models.cpp, adaboost_r2.cpp): input checks, sample
// weights, XGBoost parameters, and the byte container their save()/load() use.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/ml/model_file.hpp"
#include "gpuopt/ml/tabular.hpp"
#include "xgboost_booster.hpp"

namespace gpuopt::ml {

// Throws std::invalid_argument for an empty or inconsistent training set, non-finite labels, or
// negative / non-finite / all-zero weights.
void check_training_set(const FeatureMatrix& x, std::span<const float> y, std::span<const float> weights);

// Throws std::logic_error when the model is untrained (features == 0) and std::invalid_argument
// when x has a different column count than the model was trained on.
void check_prediction_input(const std::string& model, std::size_t features, const FeatureMatrix& x);

// The weights scaled to average 1 (all 1 when empty): XGBoost's min_child_weight counts weight,
// so tiny weights would forbid every split.
std::vector<float> mean_one_weights(std::span<const float> weights, std::size_t rows);

// Squared-error trees on the histogram method, seeded, with a start value near the weighted mean.
XgbParams tree_params(const TreeOptions& options, int max_depth, std::span<const float> y,
                      std::span<const float> weights);

// eta 1 and lambda 0: every leaf is the weighted mean of its rows' residuals (dt, rf, adaboost).
XgbParams mean_leaf_params();

// save()/load() bytes: a model file with domain "tabular", the model's registry name, its feature
// count and the given sections. decode throws ParseError when the bytes hold another model.
std::string encode_tree_model(const std::string& model, std::size_t features, nlohmann::json extra,
                              std::map<std::string, std::string> sections);
ModelFile decode_tree_model(std::string_view bytes, const std::string& model);
std::size_t tree_model_features(const ModelFile& file, const std::string& model);
const std::string& tree_model_section(const ModelFile& file, const std::string& model,
                                      const std::string& section);

std::unique_ptr<TabularRegressor> make_adaboost_r2(const TreeOptions& options);

}  // namespace gpuopt::ml
