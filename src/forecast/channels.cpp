#include "gpuopt/forecast/channels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace gpuopt::forecast {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Floors: a window-derived scale never goes below roughly an idle GPU's level. Ranges: what the
// quantity can be at all (memory used has no upper bound here: the window does not know the total).
constexpr std::array<ChannelInfo, kChannelCount> kChannels{{
    {Channel::power, "power", Metric::power_w, "W", 0, 50, 0, kInf},
    {Channel::gpu_util, "gpu_util", Metric::gpu_util_pct, "%", 100, 0, 0, 100},
    {Channel::mem_used, "mem_used", Metric::mem_used_mib, "MiB", 0, 1024, 0, kInf},
    {Channel::mem_util, "mem_util", Metric::mem_util_pct, "%", 100, 0, 0, 100},
    {Channel::temperature, "temperature", Metric::temperature_c, "C", 100, 0, -kInf, kInf},
    {Channel::sm_clock, "sm_clock", Metric::sm_clock_mhz, "MHz", 0, 300, 0, kInf},
}};

}  // namespace

std::span<const ChannelInfo> all_channels() { return kChannels; }

const ChannelInfo& channel_info(Channel c) { return kChannels[index_of(c)]; }

float clamp_to_range(Channel c, float value) {
  if (std::isnan(value)) return value;
  const ChannelInfo& info = channel_info(c);
  return static_cast<float>(std::clamp(static_cast<double>(value), info.min_value, info.max_value));
}

std::optional<Channel> channel_from_name(std::string_view name) {
  for (const ChannelInfo& info : kChannels) {
    if (info.name == name) return info.channel;
  }
  return std::nullopt;
}

std::string channel_names_list() {
  std::string out;
  for (const ChannelInfo& info : kChannels) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

}  // namespace gpuopt::forecast
