// Accuracy figures of a regressor on held-out rows, as reported by `mem eval` / `forecast eval`.
#pragma once

#include <cstddef>
#include <span>

namespace gpuopt::ml {

struct RegressionScores {
  std::size_t n = 0;
  double mse = 0;   // in the unit of the target squared
  double rmse = 0;  // in the unit of the target
  double mae = 0;
  double r2 = 0;          // 1 - SSE/SST; 0 when SST is 0
  double mape = 0;        // mean |pred-truth|/|truth| as a fraction (0.1 = 10 %); rows with truth 0 skipped
  double median_ape = 0;  // median of the same
  double under_pred_rate = 0;  // fraction of rows with pred < under_fraction * truth
};

// truth and pred have the same length (throws std::invalid_argument otherwise); empty gives n = 0.
RegressionScores score_regression(std::span<const double> truth, std::span<const double> pred,
                                  double under_fraction = 0.95);

// Safe-bound quality: coverage = fraction of rows with bound >= truth; median over-provisioning =
// median of (bound - truth) / truth (a fraction; rows with truth 0 skipped). Empty gives zeros;
// different lengths throw std::invalid_argument.
struct BoundScores {
  double coverage = 0;
  double median_overprov = 0;
};
BoundScores score_bound(std::span<const double> truth, std::span<const double> bound);

}  // namespace gpuopt::ml
