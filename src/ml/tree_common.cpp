#include "tree_common.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::ml {
namespace {

constexpr const char* kTabularDomain = "tabular";

[[noreturn]] void bad_bytes(const std::string& model, const std::string& field, const std::string& reason) {
  throw ParseError(model + " model", 0, field, reason);
}

}  // namespace

void check_training_set(const FeatureMatrix& x, std::span<const float> y, std::span<const float> weights) {
  if (x.rows == 0 || x.cols == 0) throw std::invalid_argument("training set has no rows or no features");
  if (x.values.size() != x.rows * x.cols) {
    throw std::invalid_argument(fmt::format("feature matrix holds {} values, not {} rows x {} cols",
                                            x.values.size(), x.rows, x.cols));
  }
  if (y.size() != x.rows) throw std::invalid_argument(fmt::format("{} labels for {} rows", y.size(), x.rows));
  for (std::size_t r = 0; r < y.size(); ++r) {
    if (!std::isfinite(y[r])) throw std::invalid_argument(fmt::format("label of row {} is not finite", r));
  }
  if (weights.empty()) return;
  if (weights.size() != x.rows) {
    throw std::invalid_argument(fmt::format("{} weights for {} rows", weights.size(), x.rows));
  }
  double sum = 0;
  for (std::size_t r = 0; r < weights.size(); ++r) {
    if (!std::isfinite(weights[r]) || weights[r] < 0) {
      throw std::invalid_argument(fmt::format("weight of row {} is negative or not finite", r));
    }
    sum += weights[r];
  }
  if (sum <= 0) throw std::invalid_argument("all sample weights are zero");
}

void check_prediction_input(const std::string& model, std::size_t features, const FeatureMatrix& x) {
  if (features == 0) throw std::logic_error(model + ": predict() before fit() or load()");
  if (x.cols != features) {
    throw std::invalid_argument(
        fmt::format("{} was trained on {} features, got rows of {}", model, features, x.cols));
  }
}

std::vector<float> mean_one_weights(std::span<const float> weights, std::size_t rows) {
  if (weights.empty()) return std::vector<float>(rows, 1.0f);
  double sum = 0;
  for (float w : weights) sum += w;
  const double scale = static_cast<double>(weights.size()) / sum;
  std::vector<float> out;
  out.reserve(weights.size());
  for (float w : weights) out.push_back(static_cast<float>(w * scale));
  return out;
}

XgbParams tree_params(const TreeOptions& options, int max_depth, std::span<const float> y,
                      std::span<const float> weights) {
  double weighted_sum = 0;
  double weight_sum = 0;
  for (std::size_t r = 0; r < y.size(); ++r) {
    const double w = weights.empty() ? 1.0 : weights[r];
    weighted_sum += w * y[r];
    weight_sum += w;
  }
  // XGBoost 1.7 saves base_score with 7 significant digits: a 6-digit start value survives
  // save/load bit for bit, so a loaded model predicts exactly what the trained one did.
  const std::string base_score = fmt::format("{:.6g}", weight_sum > 0 ? weighted_sum / weight_sum : 0.0);
  return {{"objective", "reg:squarederror"},
          {"tree_method", "hist"},
          {"verbosity", "0"},
          {"nthread", std::to_string(std::max(1, options.threads))},
          {"seed", std::to_string(options.seed)},
          {"max_depth", std::to_string(max_depth)},
          {"base_score", base_score}};
}

XgbParams mean_leaf_params() { return {{"eta", "1"}, {"lambda", "0"}}; }

std::string encode_tree_model(const std::string& model, std::size_t features, nlohmann::json extra,
                              std::map<std::string, std::string> sections) {
  ModelFile file;
  file.meta = std::move(extra);
  file.meta["domain"] = kTabularDomain;
  file.meta["model"] = model;
  file.meta["features"] = features;
  file.sections = std::move(sections);
  return encode_model_file(file);
}

ModelFile decode_tree_model(std::string_view bytes, const std::string& model) {
  ModelFile file = decode_model_file(bytes, model + " model");
  if (file.meta["domain"] != kTabularDomain || file.meta["model"] != model) {
    bad_bytes(model, "model",
              fmt::format("holds a {} {} model", file.meta["domain"].get<std::string>(),
                          file.meta["model"].get<std::string>()));
  }
  return file;
}

std::size_t tree_model_features(const ModelFile& file, const std::string& model) {
  const auto it = file.meta.find("features");
  if (it == file.meta.end() || !it->is_number_unsigned() || it->get<std::size_t>() == 0) {
    bad_bytes(model, "features", "missing or not a positive integer");
  }
  return it->get<std::size_t>();
}

const std::string& tree_model_section(const ModelFile& file, const std::string& model,
                                      const std::string& section) {
  const auto it = file.sections.find(section);
  if (it == file.sections.end()) bad_bytes(model, fmt::format("section '{}'", section), "missing");
  return it->second;
}

}  // namespace gpuopt::ml
