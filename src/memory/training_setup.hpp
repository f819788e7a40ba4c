// Internal: what a task's optional training fields (precision, optimizer, mode) mean for memory.
// Shared by the analytic estimate and the engineered features; nullopt = not recorded or unknown.
#pragma once

#include <optional>
#include <string>

namespace gpuopt::memory {

// Bytes per activation value: fp64 8, fp32/tf32 4, fp16/bf16/amp 2.
std::optional<double> activation_bytes(const std::optional<std::string>& precision);

// Bytes per weight, gradient and optimizer-state value: fp64 8, fp32/tf32/amp 4 (amp keeps fp32
// master weights), fp16/bf16 2.
std::optional<double> parameter_bytes(const std::optional<std::string>& precision);

// Optimizer state tensors per parameter: Adam-like 2, SGD (with momentum, as usually run),
// RMSprop, Adagrad, Lion 1, plain SGD ("sgd_nomomentum") 0; nullopt for unknown names.
std::optional<double> optimizer_states(const std::optional<std::string>& optimizer);

// true for "train", false for "inference".
std::optional<bool> is_training(const std::optional<std::string>& mode);

}  // namespace gpuopt::memory
