#include "holding_level.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t kCandidates = 4;  // the last value, the short and long medians, the seasonal one
constexpr double kPeriodWindowS = 60;   // the autocorrelation reads this much history ...
constexpr double kMinPeriodS = 1;       // ... for lags from here ...
constexpr double kMaxPeriodS = 30;      // ... to here
constexpr double kMinAutocorrelation = 0.3;

// Median of `values` (reordered); NaN when empty.
float median_of(std::span<float> values) {
  if (values.empty()) return kNaN;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// Median of the values 1, 2, ... periods before t + horizon_steps that are at or before t (at most
// kSeasonalPeriods; NaNs skipped); NaN when none or without a period.
float seasonal_median(std::span<const float> series, std::size_t t, std::size_t horizon_steps,
                      std::size_t period) {
  if (period == 0) return kNaN;
  std::array<float, kSeasonalPeriods> values{};
  std::size_t n = 0;
  const std::size_t target = t + horizon_steps;
  for (std::size_t back = (horizon_steps + period - 1) / period * period;
       back <= target && n < kSeasonalPeriods; back += period) {
    const float v = series[target - back];
    if (!std::isnan(v)) values[n++] = v;
  }
  return median_of(std::span(values).first(n));
}

std::array<float, kCandidates> candidates(std::span<const float> series, std::size_t t,
                                          std::size_t horizon_steps, std::size_t period) {
  return {series[t], median_before(series, t, std::max<std::size_t>(1, horizon_steps / 5)),
          median_before(series, t, horizon_steps), seasonal_median(series, t, horizon_steps, period)};
}

// Sum of x[k] x[k - lag] over k >= lag, in eight interleaved partial sums so that the compiler can
// vectorize it (a single float sum must be added in order).
float lagged_product(std::span<const float> x, std::size_t lag) {
  constexpr std::size_t kLanes = 8;
  std::array<float, kLanes> partial{};
  std::size_t k = lag;
  for (; k + kLanes <= x.size(); k += kLanes) {
    for (std::size_t i = 0; i < kLanes; ++i) partial[i] += x[k + i] * x[k + i - lag];
  }
  float sum = 0;
  for (; k < x.size(); ++k) sum += x[k] * x[k - lag];
  for (const float p : partial) sum += p;
  return sum;
}

}  // namespace

std::size_t steps_of(double seconds, std::chrono::milliseconds step) {
  return static_cast<std::size_t>(std::lround(seconds * 1000.0 / static_cast<double>(step.count())));
}

float median_before(std::span<const float> series, std::size_t t, std::size_t steps) {
  steps = std::min(steps, t + 1);
  const std::size_t stride = (steps + kHoldingSamples - 1) / kHoldingSamples;
  std::array<float, kHoldingSamples> values{};
  std::size_t n = 0;
  for (std::size_t k = 0; k < steps && n < kHoldingSamples; k += stride) {
    const float v = series[t - k];
    if (!std::isnan(v)) values[n++] = v;
  }
  return median_of(std::span(values).first(n));
}

std::size_t level_period(const WindowRef& w, Channel c, std::chrono::milliseconds step) {
  const std::size_t n = steps_of(kPeriodWindowS, step);
  const std::size_t min_lag = std::max<std::size_t>(1, steps_of(kMinPeriodS, step));
  const std::size_t max_lag = std::min(steps_of(kMaxPeriodS, step), n / 2);
  if (n < 4 || w.end + 1 < n || min_lag > max_lag) return 0;
  const std::span<const float> x = w.history.values[index_of(c)].subspan(w.end + 1 - n, n);
  double mean = 0;
  for (const float v : x) {
    if (std::isnan(v)) return 0;
    mean += v;
  }
  mean /= static_cast<double>(n);
  std::vector<float> centred(n);
  float variance = 0;
  for (std::size_t k = 0; k < n; ++k) {
    centred[k] = static_cast<float>(x[k] - mean);
    variance += centred[k] * centred[k];
  }
  if (variance <= 0) return 0;
  // Unnormalized autocorrelations against the threshold; the first of equal maxima wins.
  float best = static_cast<float>(kMinAutocorrelation) * variance;
  std::size_t period = 0;
  for (std::size_t lag = min_lag; lag <= max_lag; ++lag) {
    const float sum = lagged_product(centred, lag);
    if (period == 0 ? sum >= best : sum > best) {
      best = sum;
      period = lag;
    }
  }
  return period;
}

float holding_level(const WindowRef& w, Channel c, float last, std::chrono::milliseconds step,
                    double horizon_s, std::size_t period_steps) {
  if (std::isnan(last)) return kNaN;
  const std::size_t horizon_steps = steps_of(horizon_s, step);
  const std::size_t stride = std::max<std::size_t>(1, std::chrono::milliseconds(kHoldingStride) / step);
  if (horizon_steps == 0) return last;
  const std::span<const float> series = w.history.values[index_of(c)];

  std::array<double, kCandidates> error{};
  std::size_t scored = 0;
  for (std::size_t j = 0; j < kHoldingOrigins; ++j) {
    const std::size_t back = horizon_steps + j * stride;
    if (back > w.end) break;
    const std::size_t t = w.end - back;
    const float target = series[t + horizon_steps];
    if (std::isnan(target) || std::isnan(series[t])) continue;
    const auto levels = candidates(series, t, horizon_steps, period_steps);
    // A candidate that cannot be formed (no period) is never chosen.
    for (std::size_t i = 0; i < kCandidates; ++i) {
      error[i] +=
          std::isnan(levels[i]) ? std::numeric_limits<double>::infinity() : std::abs(levels[i] - target);
    }
    ++scored;
  }
  if (scored == 0) return last;
  const auto best = static_cast<std::size_t>(std::min_element(error.begin(), error.end()) - error.begin());
  if (best == 0 || std::isnan(series[w.end])) return last;
  const float level = candidates(series, w.end, horizon_steps, period_steps)[best];
  return std::isnan(level) ? last : level;
}

}  // namespace gpuopt::forecast
