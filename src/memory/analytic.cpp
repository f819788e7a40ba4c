#include "gpuopt/memory/analytic.hpp"

#include "saved_activations.hpp"
#include "training_setup.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;
// CUDA context, cuBLAS/cuDNN workspaces and what PyTorch's caching allocator reserves beyond the
// live tensors: the intercept of peak memory over batch size minus 16 B x parameters is about
// 1.6 GiB for fp32 Adam training on an A100 (shared data README).
constexpr double kOverheadMib = 1.6 * 1024;
constexpr double kDefaultOptimizerStates = 2;  // Adam, the common default, when not recorded
constexpr double kAmpWeightCopyBytes = 2;      // autocast caches an fp16 copy of each weight
// While backward passes the layer with the largest output, that output's gradient and its input's
// gradient (about as large) are alive on top of the saved activations.
constexpr double kBackwardGradientBuffers = 2;

}  // namespace

AnalyticBreakdown analytic_estimate(const Task& task) {
  const double value_bytes = activation_bytes(task.precision).value_or(4);
  const double param_bytes = parameter_bytes(task.precision).value_or(4);
  const bool training = is_training(task.mode).value_or(true);
  const auto params = static_cast<double>(task.params);
  const auto batch = static_cast<double>(task.batch_size);

  AnalyticBreakdown estimate;
  estimate.weights_mib = params * param_bytes / kBytesPerMib;
  if (task.precision == "amp") estimate.weights_mib += params * kAmpWeightCopyBytes / kBytesPerMib;
  if (training) {
    estimate.gradients_mib = params * param_bytes / kBytesPerMib;
    const double states = optimizer_states(task.optimizer).value_or(kDefaultOptimizerStates);
    estimate.optimizer_mib = states * params * param_bytes / kBytesPerMib;
    const double per_sample_bytes = saved_activation_bytes_per_sample(task, value_bytes) +
                                    kBackwardGradientBuffers * largest_output_elements(task) * value_bytes;
    estimate.activations_mib = per_sample_bytes * batch / kBytesPerMib;
  } else {
    estimate.activations_mib = live_activation_bytes_per_sample(task, value_bytes) * batch / kBytesPerMib;
  }
  estimate.overhead_mib = kOverheadMib;
  return estimate;
}

}  // namespace gpuopt::memory
