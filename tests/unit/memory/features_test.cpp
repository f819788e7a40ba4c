#include "gpuopt/memory/features.hpp"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kMib = 1024.0 * 1024.0;

float feature(const ml::FeatureMatrix& m, std::size_t row, const std::string& name) {
  const auto& names = task_feature_names();
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << name;
  return m.row(row)[static_cast<std::size_t>(it - names.begin())];
}

Task sample_task() {
  Task t = test::make_task({{"Conv2d", 262144, 1000}, {"ReLU", 262144, 0}, {"Linear", 1024, 24}}, 16);
  t.input_shape = {3, 64, 64};
  return t;
}

TEST(TaskFeatures, NamesAreUniqueAndMatchColumns) {
  const auto& names = task_feature_names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  const Task t = sample_task();
  const auto m = task_features(std::span<const Task>(&t, 1));
  EXPECT_EQ(m.rows, 1u);
  EXPECT_EQ(m.cols, names.size());
  EXPECT_EQ(m.values.size(), names.size());
}

TEST(TaskFeatures, SizesActivationsAndKinds) {
  const Task t = sample_task();
  const auto m = task_features(std::span<const Task>(&t, 1));
  EXPECT_FLOAT_EQ(feature(m, 0, "log2_params"), static_cast<float>(std::log2(1025.0)));
  EXPECT_FLOAT_EQ(feature(m, 0, "params_16b_mib"), static_cast<float>(16 * 1024 / kMib));
  EXPECT_EQ(feature(m, 0, "batch_size"), 16.0f);
  EXPECT_EQ(feature(m, 0, "input_elements"), 3.0f * 64 * 64);
  EXPECT_EQ(feature(m, 0, "depth"), 3.0f);
  const double per_sample_mib = (262144.0 * 2 + 1024) * 4 / kMib;
  EXPECT_FLOAT_EQ(feature(m, 0, "act_mib_per_sample"), static_cast<float>(per_sample_mib));
  EXPECT_FLOAT_EQ(feature(m, 0, "act_mib"), static_cast<float>(per_sample_mib * 16));
  EXPECT_FLOAT_EQ(feature(m, 0, "act_conv_mib"), 16.0f);  // 262144 x 4 B x 16 = 16 MiB
  EXPECT_FLOAT_EQ(feature(m, 0, "act_activation_mib"), 16.0f);
  EXPECT_FLOAT_EQ(feature(m, 0, "act_linear_mib"), static_cast<float>(1024 * 4 * 16 / kMib));
  EXPECT_EQ(feature(m, 0, "act_norm_mib"), 0.0f);
}

TEST(TaskFeatures, UnknownFieldsAreNaNAndKnownOnesNumbers) {
  Task unknown = sample_task();
  unknown.input_shape.clear();
  Task known = sample_task();
  known.precision = "bf16";
  known.optimizer = "sgd";
  known.mode = "inference";
  known.gpu_mem_mib = 81920;
  known.layers_ext = {{"Block", 262144, 0, false}, {"Conv2d", 262144, 1024}};
  const std::vector<Task> tasks = {unknown, known};
  const auto m = task_features(tasks);
  for (const char* name : {"input_elements", "ext_act_mib_per_sample", "ext_act_mib", "precision_bytes",
                           "optimizer_states", "train_mode", "gpu_mem_mib"})
    EXPECT_TRUE(std::isnan(feature(m, 0, name))) << name;
  EXPECT_EQ(feature(m, 1, "precision_bytes"), 2.0f);
  EXPECT_EQ(feature(m, 1, "optimizer_states"), 1.0f);
  EXPECT_EQ(feature(m, 1, "train_mode"), 0.0f);
  EXPECT_EQ(feature(m, 1, "gpu_mem_mib"), 81920.0f);
  EXPECT_FLOAT_EQ(feature(m, 1, "ext_act_mib"), 32.0f);
}

}  // namespace
}  // namespace gpuopt::memory
