// Internal: the quantile the forecasters, their calibration and the anomaly rules share.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>

namespace gpuopt::forecast {

// The q-quantile (0 <= q <= 1) of `values` at the nearest lower rank, floor(q * (n - 1)); the median
// is the lower one for an even count. Reorders `values`; NaN when empty. NaNs must be left out by
// the caller.
inline float lower_quantile(std::span<float> values, double q) {
  if (values.empty()) return std::numeric_limits<float>::quiet_NaN();
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

}  // namespace gpuopt::forecast
