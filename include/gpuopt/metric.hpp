// The telemetry metrics gpuopt knows, with their canonical units and their names in
// nvidia-smi CSV headers, the store's columns and dcgm-exporter's Prometheus series.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gpuopt {

// Every metric is a double in the unit its name ends with. The order is stable: it is the
// column order of the store and of CSV/JSON output.
enum class Metric : std::uint8_t {
  gpu_util_pct,        // % of time a kernel ran (nvidia-smi utilization.gpu)
  mem_util_pct,        // % of time device memory was read/written (utilization.memory)
  mem_used_mib,        // framebuffer memory used, MiB
  mem_free_mib,        // framebuffer memory free, MiB
  mem_total_mib,       // framebuffer memory total, MiB
  temperature_c,       // GPU core temperature, degrees Celsius
  power_w,             // power draw, W
  power_limit_w,       // enforced power limit, W
  sm_clock_mhz,        // current SM clock, MHz
  mem_clock_mhz,       // current memory clock, MHz
  graphics_clock_mhz,  // current graphics clock, MHz
  energy_mj,           // total energy since driver load, mJ (monotonic counter)
  fan_speed_pct,       // fan speed, % of maximum
  pstate,              // performance state: 0 (P0, fastest) .. 15
  throttle_reasons,    // bitmask of ThrottleReason (see throttle.hpp)
};

inline constexpr std::size_t kMetricCount = 15;

struct MetricInfo {
  Metric metric;
  std::string_view name;       // short CLI name: "power", "gpu_util", ...
  std::string_view column;     // store column / JSON key: "power_w", "gpu_util_pct", ...
  std::string_view unit;       // "W", "%", "MiB", "MHz", "C", "mJ", "" (dimensionless)
  std::string_view smi_field;  // nvidia-smi --query-gpu field, "" if none
  std::string_view dcgm_name;  // dcgm-exporter series name, "" if gpuopt exports its own
  std::string_view help;       // one line for --help and Prometheus # HELP
};

// All metrics, indexed by static_cast<size_t>(Metric).
std::span<const MetricInfo> all_metrics();
const MetricInfo& metric_info(Metric m);

// Whether a GPU can read `value` for `m` (in the metric's unit): finite and within generous
// bounds that still catch a wrong unit, garbage or a "not available" sentinel such as 2^32 - 1
// (utilization 0-100 %, fan 0-200 % (NVML's may exceed 100 %), temperature -60-200 C, power
// 0-10 kW, clocks 0-20 GHz, memory 0-64 TiB, P-state 0-15, energy and throttle bitmask >= 0).
struct PlausibleRange {
  double low, high;  // inclusive, in the metric's unit
};
PlausibleRange plausible_range(Metric m);
bool plausible_value(Metric m, double value);

// Accepts the short name, the column name or the nvidia-smi field ("power", "power_w",
// "power.draw"); case-sensitive. Returns nullopt for an unknown name.
std::optional<Metric> metric_from_name(std::string_view name);

// A comma-separated list of all short names, for error messages and --help.
std::string_view metric_names_list();

// A fixed set of metric values, each either present or absent ("not supported" / not
// recorded is absent, never zero).
class MetricValues {
 public:
  bool has(Metric m) const { return (valid_mask_ >> index(m)) & 1U; }
  std::optional<double> get(Metric m) const {
    if (!has(m)) return std::nullopt;
    return values_[index(m)];
  }
  void set(Metric m, double v) {
    values_[index(m)] = v;
    valid_mask_ |= 1U << index(m);
  }
  void set(Metric m, std::optional<double> v) {
    if (v) {
      set(m, *v);
    } else {
      clear(m);
    }
  }
  void clear(Metric m) { valid_mask_ &= ~(1U << index(m)); }
  bool empty() const { return valid_mask_ == 0; }
  std::uint32_t valid_mask() const { return valid_mask_; }

  bool operator==(const MetricValues& other) const;

 private:
  static std::size_t index(Metric m) { return static_cast<std::size_t>(m); }
  std::array<double, kMetricCount> values_{};
  std::uint32_t valid_mask_ = 0;
};

}  // namespace gpuopt
