#include "gpuopt/throttle.hpp"

#include <fmt/format.h>

namespace gpuopt {

const std::vector<ThrottleReasonInfo>& all_throttle_reasons() {
  using enum ThrottleReason;
  static const std::vector<ThrottleReasonInfo> reasons{
      {gpu_idle, "gpu_idle", "clocks_event_reasons.gpu_idle"},
      {applications_clocks_setting, "applications_clocks_setting",
       "clocks_event_reasons.applications_clocks_setting"},
      {sw_power_cap, "sw_power_cap", "clocks_event_reasons.sw_power_cap"},
      {hw_slowdown, "hw_slowdown", "clocks_event_reasons.hw_slowdown"},
      {sync_boost, "sync_boost", "clocks_event_reasons.sync_boost"},
      {sw_thermal_slowdown, "sw_thermal_slowdown", "clocks_event_reasons.sw_thermal_slowdown"},
      {hw_thermal_slowdown, "hw_thermal_slowdown", "clocks_event_reasons.hw_thermal_slowdown"},
      {hw_power_brake_slowdown, "hw_power_brake_slowdown", "clocks_event_reasons.hw_power_brake_slowdown"},
      {display_clock_setting, "display_clock_setting", "clocks_event_reasons.display_clock_setting"},
  };
  return reasons;
}

std::vector<std::string> decode_throttle_reasons(std::uint64_t mask) {
  std::vector<std::string> names;
  std::uint64_t known = 0;
  for (const auto& r : all_throttle_reasons()) {
    const auto bit = static_cast<std::uint64_t>(r.reason);
    known |= bit;
    if (mask & bit) names.emplace_back(r.name);
  }
  if (const std::uint64_t rest = mask & ~known; rest != 0) names.push_back(fmt::format("{:#x}", rest));
  return names;
}

std::string format_throttle_reasons(std::uint64_t mask) {
  if (mask == 0) return "none";
  return fmt::format("{}", fmt::join(decode_throttle_reasons(mask), ","));
}

std::optional<ThrottleReason> throttle_reason_from_smi_field(std::string_view field) {
  constexpr std::string_view kOld = "clocks_throttle_reasons.";
  constexpr std::string_view kNew = "clocks_event_reasons.";
  std::string_view suffix;
  if (field.starts_with(kNew)) {
    suffix = field.substr(kNew.size());
  } else if (field.starts_with(kOld)) {
    suffix = field.substr(kOld.size());
  } else {
    return std::nullopt;
  }
  for (const auto& r : all_throttle_reasons()) {
    if (r.name == suffix) return r.reason;
  }
  // nvidia-smi's own spelling of two reasons differs from NVML's constant names.
  if (suffix == "applications_clocks_setting" || suffix == "application_clocks_setting")
    return ThrottleReason::applications_clocks_setting;
  return std::nullopt;
}

}  // namespace gpuopt
