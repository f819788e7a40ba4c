#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpuopt/error.hpp"
#include "gpuopt/ml/regression_metrics.hpp"
#include "gpuopt/ml/tabular.hpp"

namespace gpuopt::ml {
namespace {

struct Dataset {
  FeatureMatrix x;
  std::vector<float> y;
};

// y = 2 sin(3 a) + b^2 on [-1, 1]^3; the third feature is noise.
Dataset nonlinear(std::size_t rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Dataset d;
  d.x.rows = rows;
  d.x.cols = 3;
  for (std::size_t r = 0; r < rows; ++r) {
    const float a = u(rng), b = u(rng), c = u(rng);
    d.x.values.insert(d.x.values.end(), {a, b, c});
    d.y.push_back(2 * std::sin(3 * a) + b * b);
  }
  return d;
}

// Small settings keep the suite fast; every model still has enough capacity for the function.
TreeOptions small_options(std::uint64_t seed = 7) {
  TreeOptions options;
  options.seed = seed;
  options.rounds = 40;
  return options;
}

std::unique_ptr<TabularRegressor> trained(const std::string& name, const Dataset& d, std::uint64_t seed = 7) {
  auto model = make_tree_regressor(name, small_options(seed));
  model->fit(d.x, d.y, {});
  return model;
}

double r2(const std::vector<float>& truth, const std::vector<float>& pred) {
  const std::vector<double> t(truth.begin(), truth.end()), p(pred.begin(), pred.end());
  return score_regression(t, p).r2;
}

class TreeRegressor : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    train_ = new Dataset(nonlinear(600, 1));
    test_ = new Dataset(nonlinear(300, 2));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete test_;
  }
  static Dataset* train_;
  static Dataset* test_;
};
Dataset* TreeRegressor::train_ = nullptr;
Dataset* TreeRegressor::test_ = nullptr;

TEST_P(TreeRegressor, LearnsANonlinearFunctionFarBetterThanTheMean) {
  const auto model = trained(GetParam(), *train_);
  EXPECT_EQ(model->name(), GetParam());
  EXPECT_GT(r2(test_->y, model->predict(test_->x)), 0.8);
}

TEST_P(TreeRegressor, SaveLoadGivesIdenticalPredictions) {
  const auto model = trained(GetParam(), *train_);
  auto loaded = make_tree_regressor(GetParam(), small_options());
  loaded->load(model->save());
  EXPECT_EQ(loaded->predict(test_->x), model->predict(test_->x));
}

TEST_P(TreeRegressor, IsDeterministicForASeed) {
  EXPECT_EQ(trained(GetParam(), *train_)->predict(test_->x), trained(GetParam(), *train_)->predict(test_->x));
}

double mean(const std::vector<float>& values) {
  double sum = 0;
  for (float v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Every row appears twice, with labels 0 and 10: no split on the whole set separates them, so the
// weights decide where predictions land (row-sampling models can split a sample, hence the mean).
TEST_P(TreeRegressor, FollowsSampleWeights) {
  Dataset d = nonlinear(100, 3);
  const std::vector<float> features = d.x.values;
  d.x.values.insert(d.x.values.end(), features.begin(), features.end());
  d.x.rows = 200;
  d.y.assign(100, 0.0f);
  d.y.resize(200, 10.0f);
  std::vector<float> weights(100, 1.0f);
  weights.resize(200, 9.0f);
  auto model = make_tree_regressor(GetParam(), small_options());
  model->fit(d.x, d.y, weights);
  EXPECT_GT(mean(model->predict(d.x)), 8.5);
  model->fit(d.x, d.y, {});
  EXPECT_NEAR(mean(model->predict(d.x)), 5.0, 0.5);
}

TEST_P(TreeRegressor, RoutesMissingValues) {
  Dataset d = nonlinear(300, 4);
  for (std::size_t r = 0; r < d.x.rows; r += 5)
    d.x.values[r * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
  const auto model = trained(GetParam(), d);
  for (float p : model->predict(d.x)) EXPECT_TRUE(std::isfinite(p));
}

TEST_P(TreeRegressor, RejectsBadInputs) {
  auto model = make_tree_regressor(GetParam(), small_options());
  EXPECT_THROW(model->predict(test_->x), std::logic_error);
  EXPECT_THROW(model->save(), std::logic_error);
  const std::vector<float> short_y(train_->y.begin(), train_->y.end() - 1);
  EXPECT_THROW(model->fit(train_->x, short_y, {}), std::invalid_argument);
  const std::vector<float> negative(train_->x.rows, -1.0f);
  EXPECT_THROW(model->fit(train_->x, train_->y, negative), std::invalid_argument);
  model->fit(train_->x, train_->y, {});
  FeatureMatrix two_columns{2, 2, {0, 0, 1, 1}};
  EXPECT_THROW(model->predict(two_columns), std::invalid_argument);
  EXPECT_TRUE(model->predict(FeatureMatrix{0, 3, {}}).empty());
}

TEST_P(TreeRegressor, LoadRejectsForeignBytesNamingTheModel) {
  auto model = make_tree_regressor(GetParam(), small_options());
  EXPECT_THROW(model->load("not a model"), ParseError);
  const std::string other = GetParam() == "tree:dt" ? "tree:xgboost" : "tree:dt";
  try {
    model->load(trained(other, *train_)->save());
    FAIL() << "loaded a " << other << " model";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(All, TreeRegressor, ::testing::ValuesIn(tree_regressor_names()),
                         [](const auto& info) { return info.param.substr(5); });

TEST(TreeRegressors, EnsemblesDifferFromASingleTree) {
  const Dataset train = nonlinear(600, 1), test = nonlinear(300, 2);
  const auto dt = trained("dt", train)->predict(test.x);
  EXPECT_NE(trained("rf", train)->predict(test.x), dt);
  EXPECT_NE(trained("adaboost", train)->predict(test.x), dt);
}

TEST(TreeRegressors, ForestDependsOnTheSeed) {
  const Dataset train = nonlinear(600, 1), test = nonlinear(300, 2);
  EXPECT_NE(trained("rf", train, 1)->predict(test.x), trained("rf", train, 2)->predict(test.x));
}

TEST(TreeRegressors, RegistryAcceptsBareAndPrefixedNames) {
  EXPECT_EQ(make_tree_regressor("adaboost", {})->name(), "tree:adaboost");
  EXPECT_EQ(make_tree_regressor("tree:rf", {})->name(), "tree:rf");
  try {
    make_tree_regressor("tree:svm", {});
    FAIL() << "accepted tree:svm";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown tree model 'tree:svm' (valid: tree:dt, tree:rf, tree:adaboost, tree:xgboost)");
  }
  TreeOptions negative;
  negative.rounds = -1;
  EXPECT_THROW(make_tree_regressor("dt", negative), UsageError);
}

}  // namespace
}  // namespace gpuopt::ml
