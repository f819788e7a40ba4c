#include "xgboost_booster.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include "gpuopt/error.hpp"

namespace gpuopt::ml {
namespace {

// XGBGetLastError() is "[hh:mm:ss] source:line: message" followed by a stack trace: keep one line.
std::string last_error() {
  std::string_view text = XGBGetLastError();
  text = text.substr(0, text.find('\n'));
  if (text.starts_with('[')) {
    const auto end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

void check(int rc, const char* call) {
  if (rc != 0) throw Error(fmt::format("XGBoost {} failed: {}", call, last_error()));
}

void check_rows(std::size_t rows, std::size_t got, const char* what) {
  if (got != rows) {
    throw std::invalid_argument(fmt::format("{} {} for a matrix of {} rows", got, what, rows));
  }
}

bst_ulong rows_of(void* matrix) {
  bst_ulong rows = 0;
  check(XGDMatrixNumRow(matrix, &rows), "XGDMatrixNumRow");
  return rows;
}

}  // namespace

XgbMatrix::XgbMatrix(const FeatureMatrix& x, int threads) {
  if (x.values.size() != x.rows * x.cols) {
    throw std::invalid_argument(fmt::format("feature matrix holds {} values, not {} rows x {} cols",
                                            x.values.size(), x.rows, x.cols));
  }
  check(XGDMatrixCreateFromMat_omp(x.values.data(), x.rows, x.cols, std::nanf(""), &handle_,
                                   std::max(1, threads)),
        "XGDMatrixCreateFromMat");
}

XgbMatrix::~XgbMatrix() { XGDMatrixFree(handle_); }

void XgbMatrix::set_labels(std::span<const float> y) {
  check_rows(rows_of(handle_), y.size(), "labels");
  check(XGDMatrixSetFloatInfo(handle_, "label", y.data(), y.size()), "XGDMatrixSetFloatInfo(label)");
}

void XgbMatrix::set_weights(std::span<const float> weights) {
  check_rows(rows_of(handle_), weights.size(), "weights");
  check(XGDMatrixSetFloatInfo(handle_, "weight", weights.data(), weights.size()),
        "XGDMatrixSetFloatInfo(weight)");
}

XgbBooster::XgbBooster(const XgbMatrix* train) {
  void* matrices[] = {train != nullptr ? train->handle() : nullptr};
  check(XGBoosterCreate(matrices, train != nullptr ? 1 : 0, &handle_), "XGBoosterCreate");
}

XgbBooster::~XgbBooster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

XgbBooster::XgbBooster(XgbBooster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

XgbBooster& XgbBooster::operator=(XgbBooster&& other) noexcept {
  std::swap(handle_, other.handle_);
  return *this;
}

XgbBooster XgbBooster::train(const XgbMatrix& train, const XgbParams& params, int rounds) {
  XgbBooster booster(&train);
  for (const auto& [name, value] : params) booster.set_param(name, value);
  for (int round = 0; round < rounds; ++round) {
    check(XGBoosterUpdateOneIter(booster.handle_, round, train.handle()), "XGBoosterUpdateOneIter");
  }
  return booster;
}

XgbBooster XgbBooster::load_raw(std::string_view bytes, const std::string& what) {
  XgbBooster booster(nullptr);
  if (XGBoosterLoadModelFromBuffer(booster.handle_, bytes.data(), bytes.size()) != 0) {
    throw ParseError(what, 0, "", fmt::format("not an XGBoost model: {}", last_error()));
  }
  return booster;
}

void XgbBooster::set_param(const std::string& name, const std::string& value) {
  check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), "XGBoosterSetParam");
}

std::vector<float> XgbBooster::predict(const XgbMatrix& x) const {
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,
                           "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  check(XGBoosterPredictFromDMatrix(handle_, x.handle(), config, &shape, &dims, &result),
        "XGBoosterPredictFromDMatrix");
  bst_ulong count = dims == 0 ? 0 : 1;
  for (bst_ulong d = 0; d < dims; ++d) count *= shape[d];
  return {result, result + count};
}

std::string XgbBooster::save_raw() const {
  bst_ulong size = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(handle_, R"({"format": "ubj"})", &size, &data),
        "XGBoosterSaveModelToBuffer");
  return {data, size};
}

int XgbBooster::num_features() const {
  bst_ulong features = 0;
  check(XGBoosterGetNumFeature(handle_, &features), "XGBoosterGetNumFeature");
  return static_cast<int>(features);
}

}  // namespace gpuopt::ml
