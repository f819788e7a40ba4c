// Tree regressors on engineered feature vectors, built on XGBoost's C API (the only code that
// calls it is src/ml/xgboost_booster.cpp). Registry names, as used on the command line:
//   tree:dt        one regression tree (1 round, eta 1, lambda 0)
//   tree:rf        random forest (num_parallel_tree, row subsample, colsample_bynode)
//   tree:adaboost  AdaBoost.R2 (Drucker 1997): weighted rounds of single trees, weighted-median output
//   tree:xgboost   gradient-boosted trees
// Deterministic for a given seed. Not thread-safe per instance; separate instances are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gpuopt::ml {

// Row-major dense features; NaN marks a missing value (XGBoost routes it down the learned branch).
struct FeatureMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;  // rows * cols
  std::span<const float> row(std::size_t r) const { return {values.data() + r * cols, cols}; }
};

struct TreeOptions {
  std::uint64_t seed = 0;
  int threads = 1;
  int rounds = 0;     // 0 = the model's default (xgboost 400, rf 200 trees, adaboost 100); dt ignores it
  int max_depth = 0;  // 0 = the model's default (dt 10, rf 12, adaboost 4, xgboost 6)
};

class TabularRegressor {
 public:
  virtual ~TabularRegressor() = default;
  virtual std::string name() const = 0;  // registry name, e.g. "tree:xgboost"
  // Trains from scratch. weights may be empty (all 1); only their ratios matter. Throws Error on an
  // XGBoost failure (its message included) and std::invalid_argument on mismatched sizes,
  // non-finite labels, or negative / non-finite / all-zero weights.
  virtual void fit(const FeatureMatrix& x, std::span<const float> y, std::span<const float> weights) = 0;
  // Requires fit or load (std::logic_error otherwise) and the trained column count
  // (std::invalid_argument otherwise).
  virtual std::vector<float> predict(const FeatureMatrix& x) const = 0;
  virtual std::string save() const = 0;  // opaque bytes; std::logic_error before fit or load
  // Throws ParseError on bad bytes or bytes of another model; afterwards predicts exactly as the
  // saved model did.
  virtual void load(std::string_view bytes) = 0;
};

// "dt", "rf", "adaboost", "xgboost" with or without the "tree:" prefix; UsageError otherwise and
// for negative rounds or max_depth.
std::unique_ptr<TabularRegressor> make_tree_regressor(std::string_view name, const TreeOptions& options);
std::vector<std::string> tree_regressor_names();  // with the "tree:" prefix

}  // namespace gpuopt::ml
