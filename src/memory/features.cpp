#include "gpuopt/memory/features.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "gpuopt/memory/layer_kind.hpp"
#include "training_setup.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;
constexpr double kFp32Bytes = 4;
constexpr double kAdamFp32BytesPerParam = 16;  // weights, gradients and two moments
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// Per-kind activation groups: name suffix and member kinds.
struct KindGroup {
  const char* name;
  std::vector<LayerKind> kinds;
};

const std::vector<KindGroup>& kind_groups() {
  using K = LayerKind;
  static const std::vector<KindGroup> groups = {
      {"act_conv_mib", {K::conv, K::conv_transpose}},
      {"act_linear_mib", {K::linear, K::matmul, K::embedding, K::recurrent}},
      {"act_norm_mib", {K::batch_norm, K::layer_norm, K::group_norm, K::other_norm}},
      {"act_activation_mib", {K::relu, K::gelu, K::silu, K::sigmoid, K::tanh, K::other_activation}},
      {"act_softmax_attention_mib", {K::softmax, K::attention}},
      {"act_pool_mib", {K::max_pool, K::avg_pool, K::adaptive_pool}},
      {"act_dropout_mib", {K::dropout}},
      {"act_pass_through_mib", {K::identity, K::flatten_reshape}},
      {"act_other_mib", {K::elementwise, K::concat, K::upsample, K::block, K::other}},
  };
  return groups;
}

// Group index of each kind.
const std::array<std::size_t, kLayerKindCount>& group_of_kind() {
  static const auto table = [] {
    std::array<std::size_t, kLayerKindCount> t{};
    const auto& groups = kind_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (const LayerKind kind : groups[g].kinds) t[static_cast<std::size_t>(kind)] = g;
    }
    return t;
  }();
  return table;
}

double output_mib_per_sample(const std::vector<Layer>& layers) {
  double elements = 0;
  for (const auto& layer : layers) elements += static_cast<double>(layer.output_elements);
  return elements * kFp32Bytes / kBytesPerMib;
}

float or_missing(const std::optional<double>& value) { return value ? static_cast<float>(*value) : kMissing; }

void append_task_row(const Task& task, std::vector<float>& out) {
  const auto batch = static_cast<double>(task.batch_size);
  const double act_per_sample = output_mib_per_sample(task.layers);
  const bool has_ext = !task.layers_ext.empty();
  const double ext_per_sample = output_mib_per_sample(task.layers_ext);

  out.push_back(static_cast<float>(std::log2(1.0 + static_cast<double>(task.params))));
  out.push_back(static_cast<float>(kAdamFp32BytesPerParam * static_cast<double>(task.params) / kBytesPerMib));
  out.push_back(static_cast<float>(batch));
  out.push_back(task.input_shape.empty()
                    ? kMissing
                    : static_cast<float>(std::accumulate(task.input_shape.begin(), task.input_shape.end(),
                                                         1.0, std::multiplies<>())));
  out.push_back(static_cast<float>(task.layers.size()));
  out.push_back(static_cast<float>(act_per_sample));
  out.push_back(static_cast<float>(act_per_sample * batch));
  out.push_back(has_ext ? static_cast<float>(ext_per_sample) : kMissing);
  out.push_back(has_ext ? static_cast<float>(ext_per_sample * batch) : kMissing);

  std::vector<double> group_elements(kind_groups().size(), 0.0);
  for (const auto& layer : task.layers) {
    group_elements[group_of_kind()[static_cast<std::size_t>(canonical_kind(layer.kind))]] +=
        static_cast<double>(layer.output_elements);
  }
  for (const double elements : group_elements)
    out.push_back(static_cast<float>(elements * kFp32Bytes * batch / kBytesPerMib));

  out.push_back(or_missing(activation_bytes(task.precision)));
  out.push_back(or_missing(optimizer_states(task.optimizer)));
  const auto training = is_training(task.mode);
  out.push_back(training ? (*training ? 1.0f : 0.0f) : kMissing);
  out.push_back(task.gpu_mem_mib ? static_cast<float>(*task.gpu_mem_mib) : kMissing);
}

}  // namespace

const std::vector<std::string>& task_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"log2_params", "params_16b_mib",     "batch_size", "input_elements",
                                  "depth",       "act_mib_per_sample", "act_mib",    "ext_act_mib_per_sample",
                                  "ext_act_mib"};
    for (const auto& group : kind_groups()) n.emplace_back(group.name);
    for (const char* name : {"precision_bytes", "optimizer_states", "train_mode", "gpu_mem_mib"})
      n.emplace_back(name);
    return n;
  }();
  return names;
}

ml::FeatureMatrix task_features(std::span<const Task> tasks) {
  ml::FeatureMatrix matrix;
  matrix.rows = tasks.size();
  matrix.cols = task_feature_names().size();
  matrix.values.reserve(matrix.rows * matrix.cols);
  for (const auto& task : tasks) append_task_row(task, matrix.values);
  return matrix;
}

}  // namespace gpuopt::memory
