// Internal: the engineered features of the tree forecaster -- per channel the last value and
// lagged differences, rolling means / spreads / extremes relative to it, all in window-scale units.
#pragma once

#include <cstddef>
#include <span>

#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast {

inline constexpr std::size_t kLagFeaturesPerChannel = 16;
inline constexpr std::size_t kLagFeatureCount = kLagFeaturesPerChannel * kChannelCount;

// Writes kLagFeatureCount values (NaN where the channel is absent) into `out`. `last` and
// `scales` are the window's last_values() and window_scales().
void lag_features(const WindowRef& w, const ChannelValues& last, const ChannelValues& scales,
                  std::span<float> out);

}  // namespace gpuopt::forecast
