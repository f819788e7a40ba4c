// The analytic (no learning) peak-memory estimate; the formula is documented in docs/memory-inputs.md.
#pragma once

#include "gpuopt/memory/task.hpp"

namespace gpuopt::memory {

struct AnalyticBreakdown {
  double weights_mib = 0;      // parameters x bytes per value
  double gradients_mib = 0;    // training only
  double optimizer_mib = 0;    // Adam: two moments; SGD with momentum: one; unknown: Adam
  double activations_mib = 0;  // outputs kept for backward x batch size
  double overhead_mib = 0;     // CUDA context + caching allocator
  double total_mib() const {
    return weights_mib + gradients_mib + optimizer_mib + activations_mib + overhead_mib;
  }
};

AnalyticBreakdown analytic_estimate(const Task& task);

}  // namespace gpuopt::memory
