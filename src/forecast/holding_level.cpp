#include "holding_level.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t kCandidates = 3;  // the last value, the short median, the long median

// Median of the values of `steps` steps ending at `t` (at most kHoldingSamples, evenly spaced;
// NaNs skipped); NaN when none.
float median_before(std::span<const float> series, std::size_t t, std::size_t steps) {
  steps = std::min(steps, t + 1);
  const std::size_t stride = (steps + kHoldingSamples - 1) / kHoldingSamples;
  std::array<float, kHoldingSamples> values{};
  std::size_t n = 0;
  for (std::size_t k = 0; k < steps && n < kHoldingSamples; k += stride) {
    const float v = series[t - k];
    if (!std::isnan(v)) values[n++] = v;
  }
  if (n == 0) return kNaN;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), mid, values.begin() + static_cast<std::ptrdiff_t>(n));
  return *mid;
}

std::array<float, kCandidates> candidates(std::span<const float> series, std::size_t t,
                                          std::size_t horizon_steps) {
  return {series[t], median_before(series, t, std::max<std::size_t>(1, horizon_steps / 5)),
          median_before(series, t, horizon_steps)};
}

}  // namespace

float holding_level(const WindowRef& w, Channel c, float last, std::chrono::milliseconds step,
                    double horizon_s) {
  if (std::isnan(last)) return kNaN;
  const auto horizon_steps =
      static_cast<std::size_t>(std::lround(horizon_s * 1000.0 / static_cast<double>(step.count())));
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
    const auto levels = candidates(series, t, horizon_steps);
    for (std::size_t i = 0; i < kCandidates; ++i) error[i] += std::abs(levels[i] - target);
    ++scored;
  }
  if (scored == 0) return last;
  const auto best = static_cast<std::size_t>(std::min_element(error.begin(), error.end()) - error.begin());
  if (best == 0 || std::isnan(series[w.end])) return last;
  const float level = candidates(series, w.end, horizon_steps)[best];
  return std::isnan(level) ? last : level;
}

}  // namespace gpuopt::forecast
