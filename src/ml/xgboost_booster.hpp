// RAII handles over XGBoost's C API. xgboost_booster.cpp is the only file that calls XGBoost;
// every failing call throws gpuopt::Error carrying XGBGetLastError()'s message.
// Not thread-safe per handle.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuopt/ml/tabular.hpp"

namespace gpuopt::ml {

// A training or prediction matrix: dense rows, NaN = missing.
class XgbMatrix {
 public:
  // Throws std::invalid_argument when x.values does not hold rows * cols values.
  XgbMatrix(const FeatureMatrix& x, int threads);
  ~XgbMatrix();
  XgbMatrix(const XgbMatrix&) = delete;
  XgbMatrix& operator=(const XgbMatrix&) = delete;

  void set_labels(std::span<const float> y);
  void set_weights(std::span<const float> weights);  // one per row
  void* handle() const { return handle_; }

 private:
  void* handle_ = nullptr;
};

// XGBoost parameters as name/value strings, applied in order.
using XgbParams = std::vector<std::pair<std::string, std::string>>;

class XgbBooster {
 public:
  ~XgbBooster();
  XgbBooster(XgbBooster&& other) noexcept;
  XgbBooster& operator=(XgbBooster&& other) noexcept;
  XgbBooster(const XgbBooster&) = delete;
  XgbBooster& operator=(const XgbBooster&) = delete;

  // Trains `rounds` boosting rounds from scratch on a matrix with labels (and weights) set.
  static XgbBooster train(const XgbMatrix& train, const XgbParams& params, int rounds);
  // Restores a booster from save_raw() bytes; ParseError naming `what` when they are not one.
  static XgbBooster load_raw(std::string_view bytes, const std::string& what);

  void set_param(const std::string& name, const std::string& value);
  std::vector<float> predict(const XgbMatrix& x) const;  // one value per row
  std::string save_raw() const;                          // XGBoost's UBJSON model, exact
  int num_features() const;

 private:
  explicit XgbBooster(const XgbMatrix* train);  // nullptr: an empty booster to load into
  void* handle_ = nullptr;
};

}  // namespace gpuopt::ml
