// The inputs of the sequence memory models, without torch: layer tokens, the per-row physics
// quantities of the structured head, and the scaler of the task-level features.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuopt/memory/layer_kind.hpp"
#include "gpuopt/memory/task.hpp"
#include "gpuopt/ml/tabular.hpp"

namespace gpuopt::memory {

// A token: the share of each canonical kind among the layers it pools (a linear map of it is the
// kind embedding), then kTokenNumeric numeric features (see seq_tokens.cpp).
inline constexpr std::size_t kTokenNumeric = 7;
inline constexpr std::size_t kTokenDim = static_cast<std::size_t>(kLayerKindCount) + kTokenNumeric;

// The layer sequence (task.layers) as at most max_tokens tokens: consecutive layers are pooled in
// equal chunks when the model has more layers. Row-major [tokens x kTokenDim]; at least one token.
std::vector<float> layer_tokens(const Task& task, std::size_t max_tokens);

// Per token, the output MiB of one sample for each canonical kind among the layers it pools (the
// chunks of layer_tokens; precision sets bytes per value). Row-major [tokens x kLayerKindCount].
// The retention head weighs these: which outputs stay alive for backward.
std::vector<float> token_kind_mib(const Task& task, std::size_t max_tokens);

// The sum of every layer's output for one sample, in MiB (precision sets bytes per value).
double output_mib_per_sample(const Task& task);

// Rows that share this key share the layer sequence (the same model at other batch sizes).
std::string sequence_key(const Task& task);

// What the structured head scales (docs/memory.md): memory that does not grow with the batch
// (weights, gradients, optimizer state: analytic.hpp), the batch size that multiplies the retained
// outputs, and the largest single layer output for the whole batch (a transient of backward).
struct RowPhysics {
  double static_mib = 0;
  double batch_size = 0;
  double largest_output_mib = 0;  // max layer output elements x bytes per value x batch size
};
RowPhysics row_physics(const Task& task);

// Standardizes the task-level features, after a signed log1p (sizes span orders of magnitude), with
// the training rows' mean and deviation; missing values (NaN) become 0, the mean. Scores are
// clamped to +-kMaxFeatureScore: a task far outside the training range (a feature nearly constant
// there) is seen at the range's edge instead of saturating the head.
inline constexpr float kMaxFeatureScore = 6.0f;
class FeatureScaler {
 public:
  void fit(const ml::FeatureMatrix& x);
  void apply(ml::FeatureMatrix& x) const;  // throws std::invalid_argument on a column-count mismatch
  nlohmann::json to_json() const;
  // Throws ParseError naming `source` when the JSON is not a scaler of `cols` columns.
  static FeatureScaler from_json(const nlohmann::json& j, std::size_t cols, const std::string& source);

 private:
  std::vector<float> mean_, scale_;
};

}  // namespace gpuopt::memory
