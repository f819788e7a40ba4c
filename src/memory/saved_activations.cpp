#include "saved_activations.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <vector>

#include "gpuopt/memory/layer_kind.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kIndexBytes = 8;  // max pooling's int64 argmax indices

enum class Role { pass_through, saves_output, saves_input, max_pool };

struct Step {
  Role role;
  double output_elements;
};

bool is_norm(LayerKind kind) {
  return kind == LayerKind::batch_norm || kind == LayerKind::layer_norm || kind == LayerKind::group_norm ||
         kind == LayerKind::other_norm;
}

Role role_of(LayerKind kind) {
  switch (kind) {
    case LayerKind::identity:
    case LayerKind::flatten_reshape:
    case LayerKind::dropout:
      return Role::pass_through;
    case LayerKind::relu:
    case LayerKind::sigmoid:
    case LayerKind::tanh:
    case LayerKind::softmax:
      return Role::saves_output;
    case LayerKind::max_pool:
      return Role::max_pool;
    default:
      return Role::saves_input;
  }
}

// The layers that compute a tensor of their own, in call order.
std::vector<Step> computing_steps(const Task& task) {
  const auto& layers = task.layers_ext.empty() ? task.layers : task.layers_ext;
  std::vector<Step> steps;
  steps.reserve(layers.size());
  for (const auto& layer : layers) {
    const LayerKind kind = canonical_kind(layer.kind);
    if (kind == LayerKind::block || (!layer.leaf && !is_norm(kind))) continue;
    steps.push_back({role_of(kind), static_cast<double>(layer.output_elements)});
  }
  return steps;
}

}  // namespace

double saved_activation_bytes_per_sample(const Task& task, double bytes_per_value) {
  const auto steps = computing_steps(task);
  double bytes = 0;
  // Walking backwards, `next_saves_input` tells whether the next computing layer (the loss after
  // the last one) keeps its input.
  bool next_saves_input = true;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->role == Role::pass_through) continue;
    if (it->role == Role::saves_output || next_saves_input) bytes += it->output_elements * bytes_per_value;
    if (it->role == Role::max_pool) bytes += it->output_elements * kIndexBytes;
    next_saves_input = it->role == Role::saves_input || it->role == Role::max_pool;
  }
  return bytes;
}

double largest_output_elements(const Task& task) {
  double largest = 0;
  for (const auto& step : computing_steps(task)) largest = std::max(largest, step.output_elements);
  return largest;
}

double live_activation_bytes_per_sample(const Task& task, double bytes_per_value) {
  double largest_pair = 0;
  // The input batch is alive while the first layer runs.
  double previous =
      task.input_shape.empty()
          ? 0.0
          : std::accumulate(task.input_shape.begin(), task.input_shape.end(), 1.0, std::multiplies<>());
  for (const auto& step : computing_steps(task)) {
    if (step.role == Role::pass_through) continue;
    largest_pair = std::max(largest_pair, previous + step.output_elements);
    previous = step.output_elements;
  }
  return largest_pair * bytes_per_value;
}

}  // namespace gpuopt::memory
