// Task-level engineered features: the inputs of the tree baselines and the task-level part of the
// sequence models. Stable order; names() documents it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "gpuopt/memory/task.hpp"
#include "gpuopt/ml/tabular.hpp"

namespace gpuopt::memory {

// Names of the columns task_features() returns, e.g. "log2_params", "act_mib_per_sample", ...
const std::vector<std::string>& task_feature_names();
ml::FeatureMatrix task_features(std::span<const Task> tasks);

}  // namespace gpuopt::memory
