// Clock throttle ("clocks event") reasons, bit-compatible with NVML's
// nvmlClocksThrottleReason* / nvmlClocksEventReason* masks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuopt {

enum class ThrottleReason : std::uint64_t {
  gpu_idle = 0x1,
  applications_clocks_setting = 0x2,
  sw_power_cap = 0x4,
  hw_slowdown = 0x8,
  sync_boost = 0x10,
  sw_thermal_slowdown = 0x20,
  hw_thermal_slowdown = 0x40,
  hw_power_brake_slowdown = 0x80,
  display_clock_setting = 0x100,
};

struct ThrottleReasonInfo {
  ThrottleReason reason;
  std::string_view name;       // "sw_power_cap"
  std::string_view smi_field;  // "clocks_event_reasons.sw_power_cap"
};

const std::vector<ThrottleReasonInfo>& all_throttle_reasons();

// Decodes a mask into reason names ("sw_power_cap", ...); unknown bits appear as "0x...".
std::vector<std::string> decode_throttle_reasons(std::uint64_t mask);

// "sw_power_cap,hw_slowdown", or "none" for 0.
std::string format_throttle_reasons(std::uint64_t mask);

// Finds the reason of an nvidia-smi column name, accepting both the current
// "clocks_event_reasons.X" and the older "clocks_throttle_reasons.X" spelling.
std::optional<ThrottleReason> throttle_reason_from_smi_field(std::string_view field);

}  // namespace gpuopt
