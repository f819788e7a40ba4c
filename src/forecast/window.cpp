#include "gpuopt/forecast/window.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quantile.hpp"

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::size_t first_step(const WindowRef& w, const WindowConfig& config) {
  const std::size_t n = config.history_steps();
  return w.end + 1 >= n ? w.end + 1 - n : 0;
}

}  // namespace

ChannelValues window_scales(const WindowRef& w, const WindowConfig& config) {
  ChannelValues out;
  std::vector<float> finite;
  const std::size_t from = first_step(w, config);
  for (const ChannelInfo& info : all_channels()) {
    const auto& series = w.history.values[index_of(info.channel)];
    finite.clear();
    for (std::size_t k = from; k <= w.end; ++k) {
      if (!std::isnan(series[k])) finite.push_back(std::abs(series[k]));
    }
    float& scale = out[index_of(info.channel)];
    if (finite.empty()) {
      scale = kNaN;
    } else if (info.fixed_scale > 0) {
      scale = static_cast<float>(info.fixed_scale);
    } else {
      scale = std::max(lower_quantile(finite, 0.95), static_cast<float>(info.scale_floor));
    }
  }
  return out;
}

bool at_scale_floor(Channel c, float scale) {
  const ChannelInfo& info = channel_info(c);
  return info.fixed_scale <= 0 && scale <= static_cast<float>(info.scale_floor);
}

ChannelValues last_values(const WindowRef& w, const WindowConfig& config) {
  ChannelValues out;
  const std::size_t from = first_step(w, config);
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    out[c] = kNaN;
    for (std::size_t k = w.end + 1; k-- > from;) {
      if (!std::isnan(w.history.values[c][k])) {
        out[c] = w.history.values[c][k];
        break;
      }
    }
  }
  return out;
}

float trailing_mean(const WindowRef& w, Channel c, std::size_t n) {
  const auto& series = w.history.values[index_of(c)];
  const std::size_t from = w.end + 1 >= n ? w.end + 1 - n : 0;
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t k = from; k <= w.end; ++k) {
    if (!std::isnan(series[k])) {
      sum += series[k];
      ++count;
    }
  }
  return count == 0 ? kNaN : static_cast<float>(sum / static_cast<double>(count));
}

}  // namespace gpuopt::forecast
