#include "gpuopt/ml/regression_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace gpuopt::ml {
namespace {

void require_same_size(std::span<const double> truth, std::span<const double> other, const char* what) {
  if (truth.size() != other.size()) {
    throw std::invalid_argument(
        fmt::format("{}: {} truth values but {} {} values", what, truth.size(), other.size(), what));
  }
}

// Median of the values (mean of the middle two for an even count); 0 when empty.
double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto mid = static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[values.size() / 2];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace

RegressionScores score_regression(std::span<const double> truth, std::span<const double> pred,
                                  double under_fraction) {
  require_same_size(truth, pred, "pred");
  RegressionScores s;
  s.n = truth.size();
  if (s.n == 0) return s;

  double truth_sum = 0;
  for (double t : truth) truth_sum += t;
  const double truth_mean = truth_sum / static_cast<double>(s.n);

  double sse = 0;
  double sst = 0;
  double abs_sum = 0;
  std::size_t under = 0;
  std::vector<double> ape;
  for (std::size_t i = 0; i < s.n; ++i) {
    const double err = pred[i] - truth[i];
    sse += err * err;
    sst += (truth[i] - truth_mean) * (truth[i] - truth_mean);
    abs_sum += std::abs(err);
    if (pred[i] < under_fraction * truth[i]) ++under;
    if (truth[i] != 0) ape.push_back(std::abs(err) / std::abs(truth[i]));
  }
  const double n = static_cast<double>(s.n);
  s.mse = sse / n;
  s.rmse = std::sqrt(s.mse);
  s.mae = abs_sum / n;
  s.r2 = sst > 0 ? 1 - sse / sst : 0;
  if (!ape.empty()) {
    double ape_sum = 0;
    for (double a : ape) ape_sum += a;
    s.mape = ape_sum / static_cast<double>(ape.size());
  }
  s.median_ape = median(std::move(ape));
  s.under_pred_rate = static_cast<double>(under) / n;
  return s;
}

BoundScores score_bound(std::span<const double> truth, std::span<const double> bound) {
  require_same_size(truth, bound, "bound");
  BoundScores s;
  if (truth.empty()) return s;
  std::size_t covered = 0;
  std::vector<double> overprov;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (bound[i] >= truth[i]) ++covered;
    if (truth[i] != 0) overprov.push_back((bound[i] - truth[i]) / truth[i]);
  }
  s.coverage = static_cast<double>(covered) / static_cast<double>(truth.size());
  s.median_overprov = median(std::move(overprov));
  return s;
}

}  // namespace gpuopt::ml
