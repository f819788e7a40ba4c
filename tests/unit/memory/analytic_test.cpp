#include "gpuopt/memory/analytic.hpp"

#include <gtest/gtest.h>

#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kMib = 1024.0 * 1024.0;
constexpr double kOverheadMib = 1.6 * 1024;

// 1 Mi parameters; conv -> BN -> ReLU -> linear, 1 Mi output elements each but the head.
Task convnet(std::int64_t batch) {
  return test::make_task({{"Conv2d", 1 << 20, 1 << 19},
                          {"BatchNorm2d", 1 << 20, 0},
                          {"ReLU", 1 << 20, 0},
                          {"Identity", 1 << 20, 0},
                          {"Linear", 10, 1 << 19}},
                         batch);
}

TEST(Analytic, Fp32AdamTrainingKeepsSixteenBytesPerParameter) {
  const auto e = analytic_estimate(convnet(1));
  EXPECT_DOUBLE_EQ(e.weights_mib, 4.0);
  EXPECT_DOUBLE_EQ(e.gradients_mib, 4.0);
  EXPECT_DOUBLE_EQ(e.optimizer_mib, 8.0);  // not recorded: Adam
  EXPECT_DOUBLE_EQ(e.overhead_mib, kOverheadMib);
  EXPECT_DOUBLE_EQ(e.total_mib(),
                   e.weights_mib + e.gradients_mib + e.optimizer_mib + e.activations_mib + e.overhead_mib);
}

TEST(Analytic, KeepsWhatBackwardNeeds) {
  // Saved: conv output (BN's input), ReLU output (its own result; BN's output is not needed),
  // the head's output (the loss input) = 2 Mi + 10 elements; plus two gradient buffers of the
  // largest output (2 Mi) while backward passes it.
  const double expected_mib = ((2.0 * (1 << 20) + 10) + 2.0 * (1 << 20)) * 4 / kMib;
  EXPECT_NEAR(analytic_estimate(convnet(1)).activations_mib, expected_mib, 1e-9);
  EXPECT_NEAR(analytic_estimate(convnet(32)).activations_mib, 32 * expected_mib, 1e-6);
}

TEST(Analytic, MaxPoolKeepsIndices) {
  const Task pooled = test::make_task({{"Conv2d", 400, 10}, {"MaxPool2d", 100, 0}, {"Linear", 10, 10}});
  const Task averaged = test::make_task({{"Conv2d", 400, 10}, {"AvgPool2d", 100, 0}, {"Linear", 10, 10}});
  EXPECT_NEAR(analytic_estimate(pooled).activations_mib - analytic_estimate(averaged).activations_mib,
              100.0 * 8 / kMib, 1e-12);
}

TEST(Analytic, CompositeModulesDoNotCountTwice) {
  Task flat = convnet(4);
  Task nested = convnet(4);
  nested.layers_ext = nested.layers;
  nested.layers_ext.insert(nested.layers_ext.begin(), Layer{"BasicBlock", 1 << 20, 0, false});
  EXPECT_DOUBLE_EQ(analytic_estimate(nested).activations_mib, analytic_estimate(flat).activations_mib);
}

TEST(Analytic, OptimizerPrecisionAndModeChangeTheState) {
  Task sgd = convnet(8);
  sgd.optimizer = "sgd";
  EXPECT_DOUBLE_EQ(analytic_estimate(sgd).optimizer_mib, 4.0);
  Task half = convnet(8);
  half.precision = "fp16";
  EXPECT_DOUBLE_EQ(analytic_estimate(half).weights_mib, 2.0);
  EXPECT_DOUBLE_EQ(analytic_estimate(half).activations_mib,
                   analytic_estimate(convnet(8)).activations_mib / 2);
  Task amp = convnet(8);
  amp.precision = "amp";
  EXPECT_DOUBLE_EQ(analytic_estimate(amp).weights_mib, 6.0);  // fp32 masters + fp16 copies
  EXPECT_DOUBLE_EQ(analytic_estimate(amp).optimizer_mib, 8.0);
  Task inference = convnet(8);
  inference.mode = "inference";
  const auto e = analytic_estimate(inference);
  EXPECT_EQ(e.gradients_mib, 0.0);
  EXPECT_EQ(e.optimizer_mib, 0.0);
  EXPECT_NEAR(e.activations_mib, 8 * 2.0 * (1 << 20) * 4 / kMib, 1e-9);  // largest input + output pair
  EXPECT_LT(e.total_mib(), analytic_estimate(convnet(8)).total_mib());
}

TEST(Analytic, GrowsWithBatchSize) {
  double previous = 0;
  for (const std::int64_t batch : {1, 8, 64, 512}) {
    const double total = analytic_estimate(convnet(batch)).total_mib();
    EXPECT_GT(total, previous);
    previous = total;
  }
}

}  // namespace
}  // namespace gpuopt::memory
