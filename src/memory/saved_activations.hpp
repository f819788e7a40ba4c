// Internal: which layer outputs a training step keeps alive for the backward pass, and how much a
// forward-only step holds at once, from a task's layer sequence (see docs/memory-inputs.md).
#pragma once

#include "gpuopt/memory/task.hpp"

namespace gpuopt::memory {

// Bytes per sample that autograd saves for backward: every layer output that the layer itself
// saves (ReLU, sigmoid, tanh, softmax keep their result) or that the next computing layer saves
// as its input (convolutions, linear layers, norms, GELU/SiLU, pools, ...). Identity, reshape
// and dropout layers pass their input through; max pooling also keeps int64 indices. Uses
// layers_ext when present (norm modules with children compute a tensor of their own), skipping
// other modules with children and composite blocks, whose outputs are their children's.
double saved_activation_bytes_per_sample(const Task& task, double bytes_per_value);

// Output elements per sample of the computing layer with the largest output (0 without layers).
double largest_output_elements(const Task& task);

// Bytes per sample alive at once in a forward-only pass: the largest input + output pair.
double live_activation_bytes_per_sample(const Task& task, double bytes_per_value);

}  // namespace gpuopt::memory
