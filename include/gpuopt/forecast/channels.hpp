// The telemetry channels the forecaster reads and predicts, and how each is scaled so that a
// model trained on one GPU type runs on another (docs/forecast.md, "Normalization").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gpuopt/metric.hpp"

namespace gpuopt::forecast {

enum class Channel : std::uint8_t { power, gpu_util, mem_used, mem_util, temperature, sm_clock };
inline constexpr std::size_t kChannelCount = 6;

struct ChannelInfo {
  Channel channel;
  std::string_view name;  // "power", "gpu_util", ... (CLI, JSON, gauge names)
  Metric metric;          // the telemetry metric it comes from
  std::string_view unit;  // "W", "%", "MiB", "C", "MHz"
  // Fixed scale (percentages, degrees) or 0 when the scale is taken from the input window.
  double fixed_scale;
  // Lower bound of a window-derived scale, in the channel's unit (a near-idle window would
  // otherwise blow small changes up).
  double scale_floor;
  // The values the channel can take, in its unit (-/+ infinity: unbounded): learned forecasts are
  // clamped into them (a utilization forecast below 0 % is never right).
  double min_value;
  double max_value;
};

// All channels, indexed by static_cast<size_t>(Channel).
std::span<const ChannelInfo> all_channels();
const ChannelInfo& channel_info(Channel c);
inline std::size_t index_of(Channel c) { return static_cast<std::size_t>(c); }

// "power", "gpu_util", ...; nullopt for an unknown name.
std::optional<Channel> channel_from_name(std::string_view name);
// "power, gpu_util, ..." for error messages.
std::string channel_names_list();

// One value per channel (NaN = absent).
using ChannelValues = std::array<float, kChannelCount>;

// `value` clamped into the channel's [min_value, max_value]; NaN stays NaN.
float clamp_to_range(Channel c, float value);

}  // namespace gpuopt::forecast
