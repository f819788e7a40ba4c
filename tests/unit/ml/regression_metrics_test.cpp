#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "gpuopt/ml/regression_metrics.hpp"

namespace gpuopt::ml {
namespace {

TEST(RegressionMetrics, MatchesHandComputedScores) {
  const std::vector<double> truth = {1, 2, 3, 4};
  const std::vector<double> pred = {1.5, 2, 2, 5};
  const RegressionScores s = score_regression(truth, pred);
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.mse, 2.25 / 4);
  EXPECT_DOUBLE_EQ(s.rmse, 0.75);
  EXPECT_DOUBLE_EQ(s.mae, 0.625);
  EXPECT_DOUBLE_EQ(s.r2, 1 - 2.25 / 5);
  EXPECT_DOUBLE_EQ(s.mape, (0.5 + 0 + 1.0 / 3 + 0.25) / 4);
  EXPECT_DOUBLE_EQ(s.median_ape, (0.25 + 1.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(s.under_pred_rate, 0.25);  // only 2 < 0.95 * 3
  EXPECT_DOUBLE_EQ(score_regression(truth, pred, 0.5).under_pred_rate, 0);
}

TEST(RegressionMetrics, OddCountMedianAndZeroTruthSkipped) {
  const std::vector<double> truth = {0, 2, 4, 10};
  const std::vector<double> pred = {1, 1, 5, 10};
  const RegressionScores s = score_regression(truth, pred);
  EXPECT_DOUBLE_EQ(s.mape, (0.5 + 0.25 + 0) / 3);
  EXPECT_DOUBLE_EQ(s.median_ape, 0.25);
  EXPECT_DOUBLE_EQ(s.under_pred_rate, 0.25);
}

TEST(RegressionMetrics, ConstantTruthGivesZeroR2) {
  const std::vector<double> truth = {3, 3};
  const std::vector<double> pred = {3, 4};
  EXPECT_DOUBLE_EQ(score_regression(truth, pred).r2, 0);
}

TEST(RegressionMetrics, EmptyAndMismatchedInputs) {
  EXPECT_EQ(score_regression({}, {}).n, 0u);
  const std::vector<double> two = {1, 2};
  const std::vector<double> one = {1};
  EXPECT_THROW(score_regression(two, one), std::invalid_argument);
  EXPECT_THROW(score_bound(two, one), std::invalid_argument);
}

TEST(RegressionMetrics, BoundCoverageAndOverProvisioning) {
  const std::vector<double> truth = {10, 20, 40};
  const std::vector<double> bound = {12, 19, 50};
  const BoundScores s = score_bound(truth, bound);
  EXPECT_DOUBLE_EQ(s.coverage, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.median_overprov, 0.2);
  EXPECT_DOUBLE_EQ(score_bound({}, {}).coverage, 0);
}

}  // namespace
}  // namespace gpuopt::ml
