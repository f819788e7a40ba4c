#include "gpuopt/forecast/channels.hpp"

#include <array>

namespace gpuopt::forecast {
namespace {

// Floors: a window-derived scale never goes below roughly an idle GPU's level.
constexpr std::array<ChannelInfo, kChannelCount> kChannels{{
    {Channel::power, "power", Metric::power_w, "W", 0, 50},
    {Channel::gpu_util, "gpu_util", Metric::gpu_util_pct, "%", 100, 0},
    {Channel::mem_used, "mem_used", Metric::mem_used_mib, "MiB", 0, 1024},
    {Channel::mem_util, "mem_util", Metric::mem_util_pct, "%", 100, 0},
    {Channel::temperature, "temperature", Metric::temperature_c, "C", 100, 0},
    {Channel::sm_clock, "sm_clock", Metric::sm_clock_mhz, "MHz", 0, 300},
}};

}  // namespace

std::span<const ChannelInfo> all_channels() { return kChannels; }

const ChannelInfo& channel_info(Channel c) { return kChannels[index_of(c)]; }

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
