#include "seq_tokens.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/analytic.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kMib = 1024.0 * 1024.0;
// Logs of element and parameter counts (up to ~1e9) divided by this land in [0, ~1.3].
constexpr double kLogScale = 16.0;

double bytes_per_value(const Task& task) {
  if (!task.precision) return 4;
  const std::string& p = *task.precision;
  return (p == "fp16" || p == "bf16" || p == "amp" || p == "half") ? 2 : 4;
}

// Sizes span orders of magnitude (MiB, element counts): compress them before standardizing.
double signed_log1p(double v) { return v < 0 ? -std::log1p(-v) : std::log1p(v); }

// Consecutive layers pooled into at most max_tokens tokens of `chunk` layers each.
struct Chunking {
  std::size_t chunk = 1, tokens = 1;
};
Chunking chunking(std::size_t layer_count, std::size_t max_tokens) {
  const std::size_t n_layers = std::max<std::size_t>(layer_count, 1);
  const std::size_t chunk = (n_layers + max_tokens - 1) / max_tokens;
  return {chunk, (n_layers + chunk - 1) / chunk};
}

}  // namespace

std::vector<float> layer_tokens(const Task& task, std::size_t max_tokens) {
  const std::vector<Layer>& layers = task.layers;
  const auto [chunk, n_tokens] = chunking(layers.size(), max_tokens);
  double total_elements = 0, total_params = 0;
  for (const Layer& l : layers) {
    total_elements += static_cast<double>(l.output_elements);
    total_params += static_cast<double>(l.params);
  }
  std::vector<float> tokens(n_tokens * kTokenDim, 0.0f);
  for (std::size_t t = 0; t < n_tokens; ++t) {
    const std::size_t begin = t * chunk, end = std::min(layers.size(), begin + chunk);
    float* token = tokens.data() + t * kTokenDim;
    double elements = 0, max_elements = 0, params = 0;
    for (std::size_t i = begin; i < end; ++i) {
      token[static_cast<std::size_t>(canonical_kind(layers[i].kind))] +=
          1.0f / static_cast<float>(end - begin);
      elements += static_cast<double>(layers[i].output_elements);
      max_elements = std::max(max_elements, static_cast<double>(layers[i].output_elements));
      params += static_cast<double>(layers[i].params);
    }
    float* numeric = token + kLayerKindCount;
    const double tokens_d = static_cast<double>(n_tokens);
    numeric[0] = static_cast<float>(std::log1p(elements) / kLogScale);
    numeric[1] = static_cast<float>(std::log1p(max_elements) / kLogScale);
    numeric[2] = static_cast<float>(std::log1p(params) / kLogScale);
    numeric[3] = static_cast<float>((static_cast<double>(t) + 0.5) / tokens_d);
    // Shares scaled by the token count average 1 whatever the model's length.
    numeric[4] = static_cast<float>(total_elements > 0 ? elements / total_elements * tokens_d : 0);
    numeric[5] = static_cast<float>(total_params > 0 ? params / total_params * tokens_d : 0);
    numeric[6] = static_cast<float>(std::log(static_cast<double>(end - begin) + 1) / std::log(32.0));
  }
  return tokens;
}

std::vector<float> token_kind_mib(const Task& task, std::size_t max_tokens) {
  const auto [chunk, n_tokens] = chunking(task.layers.size(), max_tokens);
  const auto kinds = static_cast<std::size_t>(kLayerKindCount);
  const double mib_per_element = bytes_per_value(task) / kMib;
  std::vector<float> out(n_tokens * kinds, 0.0f);
  for (std::size_t i = 0; i < task.layers.size(); ++i) {
    const Layer& l = task.layers[i];
    out[(i / chunk) * kinds + static_cast<std::size_t>(canonical_kind(l.kind))] +=
        static_cast<float>(static_cast<double>(l.output_elements) * mib_per_element);
  }
  return out;
}

double output_mib_per_sample(const Task& task) {
  double elements = 0;
  for (const Layer& l : task.layers) elements += static_cast<double>(l.output_elements);
  return elements * bytes_per_value(task) / kMib;
}

std::string sequence_key(const Task& task) {
  double elements = 0;
  for (const Layer& l : task.layers) elements += static_cast<double>(l.output_elements);
  return fmt::format("{}|{}|{}|{}|{}", task.source, task.model, fmt::join(task.input_shape, "x"),
                     task.layers.size(), elements);
}

RowPhysics row_physics(const Task& task) {
  const AnalyticBreakdown analytic = analytic_estimate(task);
  double largest = 0;
  for (const Layer& l : task.layers) largest = std::max(largest, static_cast<double>(l.output_elements));
  const auto batch = static_cast<double>(task.batch_size);
  return {analytic.weights_mib + analytic.gradients_mib + analytic.optimizer_mib, batch,
          largest * bytes_per_value(task) * batch / kMib};
}

void FeatureScaler::fit(const ml::FeatureMatrix& x) {
  mean_.assign(x.cols, 0.0f);
  scale_.assign(x.cols, 1.0f);
  for (std::size_t c = 0; c < x.cols; ++c) {
    double sum = 0, sum_sq = 0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < x.rows; ++r) {
      const double v = signed_log1p(x.values[r * x.cols + c]);
      if (std::isnan(v)) continue;
      sum += v;
      sum_sq += v * v;
      ++n;
    }
    if (n == 0) continue;
    const double mean = sum / static_cast<double>(n);
    const double var = std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean);
    mean_[c] = static_cast<float>(mean);
    scale_[c] = var > 1e-12 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.0f;
  }
}

void FeatureScaler::apply(ml::FeatureMatrix& x) const {
  if (x.cols != mean_.size()) {
    throw std::invalid_argument(fmt::format("scaler of {} columns applied to {}", mean_.size(), x.cols));
  }
  for (std::size_t r = 0; r < x.rows; ++r) {
    for (std::size_t c = 0; c < x.cols; ++c) {
      float& v = x.values[r * x.cols + c];
      if (std::isnan(v)) {
        v = 0.0f;
        continue;
      }
      const float score = (static_cast<float>(signed_log1p(v)) - mean_[c]) * scale_[c];
      v = std::clamp(score, -kMaxFeatureScore, kMaxFeatureScore);
    }
  }
}

nlohmann::json FeatureScaler::to_json() const { return {{"mean", mean_}, {"scale", scale_}}; }

FeatureScaler FeatureScaler::from_json(const nlohmann::json& j, std::size_t cols, const std::string& source) {
  FeatureScaler s;
  try {
    s.mean_ = j.at("mean").get<std::vector<float>>();
    s.scale_ = j.at("scale").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(source, 0, "scaler", e.what());
  }
  if (s.mean_.size() != cols || s.scale_.size() != cols) {
    throw ParseError(source, 0, "scaler", fmt::format("expected {} columns", cols));
  }
  return s;
}

}  // namespace gpuopt::memory
