#include "gpuopt/metric.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "gpuopt/units.hpp"

namespace gpuopt {
namespace {

using enum Metric;

constexpr std::array<MetricInfo, kMetricCount> kMetrics{{
    {gpu_util_pct, "gpu_util", "gpu_util_pct", "%", "utilization.gpu", "DCGM_FI_DEV_GPU_UTIL",
     "GPU utilization (% of time a kernel was running)."},
    {mem_util_pct, "mem_util", "mem_util_pct", "%", "utilization.memory", "DCGM_FI_DEV_MEM_COPY_UTIL",
     "Memory utilization (% of time memory was read or written)."},
    {mem_used_mib, "mem_used", "mem_used_mib", "MiB", "memory.used", "DCGM_FI_DEV_FB_USED",
     "Framebuffer memory used (in MiB)."},
    {mem_free_mib, "mem_free", "mem_free_mib", "MiB", "memory.free", "DCGM_FI_DEV_FB_FREE",
     "Framebuffer memory free (in MiB)."},
    {mem_total_mib, "mem_total", "mem_total_mib", "MiB", "memory.total", "DCGM_FI_DEV_FB_TOTAL",
     "Framebuffer memory total (in MiB)."},
    {temperature_c, "temperature", "temperature_c", "C", "temperature.gpu", "DCGM_FI_DEV_GPU_TEMP",
     "GPU temperature (in C)."},
    {power_w, "power", "power_w", "W", "power.draw", "DCGM_FI_DEV_POWER_USAGE", "Power draw (in W)."},
    {power_limit_w, "power_limit", "power_limit_w", "W", "power.limit", "DCGM_FI_DEV_POWER_MGMT_LIMIT",
     "Enforced power limit (in W)."},
    {sm_clock_mhz, "sm_clock", "sm_clock_mhz", "MHz", "clocks.sm", "DCGM_FI_DEV_SM_CLOCK",
     "SM clock frequency (in MHz)."},
    {mem_clock_mhz, "mem_clock", "mem_clock_mhz", "MHz", "clocks.mem", "DCGM_FI_DEV_MEM_CLOCK",
     "Memory clock frequency (in MHz)."},
    {graphics_clock_mhz, "graphics_clock", "graphics_clock_mhz", "MHz", "clocks.gr", "",
     "Graphics clock frequency (in MHz)."},
    {energy_mj, "energy", "energy_mj", "mJ", "", "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
     "Total energy consumption since the driver was last reloaded (in mJ)."},
    {fan_speed_pct, "fan_speed", "fan_speed_pct", "%", "fan.speed", "DCGM_FI_DEV_FAN_SPEED",
     "Fan speed (in % of maximum)."},
    {pstate, "pstate", "pstate", "", "pstate", "DCGM_FI_DEV_PSTATE", "Performance state (0 = P0, fastest)."},
    {throttle_reasons, "throttle_reasons", "throttle_reasons", "", "clocks_event_reasons.active",
     "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "Bitmask of active clock throttle reasons."},
}};

constexpr bool metrics_in_order() {
  for (std::size_t i = 0; i < kMetrics.size(); ++i) {
    if (static_cast<std::size_t>(kMetrics[i].metric) != i) return false;
  }
  return true;
}
static_assert(metrics_in_order(), "kMetrics must be indexed by Metric");

std::string make_names_list() {
  std::string out;
  for (const auto& m : kMetrics) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

}  // namespace

std::span<const MetricInfo> all_metrics() { return kMetrics; }

const MetricInfo& metric_info(Metric m) { return kMetrics[static_cast<std::size_t>(m)]; }

PlausibleRange plausible_range(Metric m) {
  constexpr double kUnbounded = std::numeric_limits<double>::max();
  switch (m) {
    case gpu_util_pct:
    case mem_util_pct:
      return {0, 100};
    case fan_speed_pct:
      return {0, 200};  // NVML: "may exceed 100 % in certain cases"
    case mem_used_mib:
    case mem_free_mib:
    case mem_total_mib:
      return {0, 64.0 * 1024 * 1024};
    case temperature_c:
      return {-60, 200};
    case power_w:
    case power_limit_w:
      return {0, kMaxGpuPowerW};
    case sm_clock_mhz:
    case mem_clock_mhz:
    case graphics_clock_mhz:
      return {0, kMaxGpuClockMhz};
    case pstate:
      return {0, 15};
    case energy_mj:
    case throttle_reasons:
      return {0, kUnbounded};
  }
  return {0, kUnbounded};
}

bool plausible_value(Metric m, double value) {
  const PlausibleRange r = plausible_range(m);
  return std::isfinite(value) && value >= r.low && value <= r.high;
}

std::optional<Metric> metric_from_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  for (const auto& m : kMetrics) {
    if (name == m.name || name == m.column || name == m.smi_field) return m.metric;
  }
  return std::nullopt;
}

std::string_view metric_names_list() {
  static const std::string list = make_names_list();
  return list;
}

bool MetricValues::operator==(const MetricValues& other) const {
  if (valid_mask_ != other.valid_mask_) return false;
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    if (((valid_mask_ >> i) & 1U) && values_[i] != other.values_[i]) return false;
  }
  return true;
}

}  // namespace gpuopt
