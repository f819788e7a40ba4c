#include "sim_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/throttle.hpp"

namespace gpuopt::sim {
namespace {

constexpr std::uint64_t bit(ThrottleReason r) { return static_cast<std::uint64_t>(r); }

constexpr GpuParams kA100Sxm4_40GB{
    .type_name = "A100-SXM4-40GB",
    .idle_power_w = 55,
    .peak_power_w = 430,
    .power_limit_default_w = 400,
    .power_limit_min_w = 100,
    .power_limit_max_w = 400,
    .util_exponent = 1.0,
    .clock_exponent = 2.0,
    .sm_clock_min_mhz = 210,
    .sm_clock_max_mhz = 1410,
    .sm_clock_step_mhz = 15,
    .mem_clock_mhz = 1215,
    .mem_total_mib = 40960,
    .idle_mem_used_mib = 4,
    .ambient_c = 30,
    .thermal_resistance_c_per_w = 0.1,
    .thermal_time_constant_s = 20,
    .sw_thermal_c = 85,
    .sw_thermal_clock_drop_per_c = 0.1,
    .hw_thermal_c = 89,
    .hw_thermal_clock_fraction = 0.5,
    .fan_min_pct = 30,
    .fan_start_c = 40,
    .fan_pct_per_c = 2,
};

}  // namespace

const GpuParams& a100_sxm4_40gb() { return kA100Sxm4_40GB; }

GpuModel::GpuModel(const GpuParams& params)
    : params_(&params),
      power_limit_w_(params.power_limit_default_w),
      demand_{
          .busy = false, .util = 0, .mem_util = 0, .intensity = 1, .mem_used_mib = params.idle_mem_used_mib},
      power_w_(params.idle_power_w),
      temperature_c_(params.ambient_c + params.thermal_resistance_c_per_w * params.idle_power_w),
      sm_clock_mhz_(params.sm_clock_min_mhz),
      throttle_mask_(bit(ThrottleReason::gpu_idle)) {}

void GpuModel::set_power_limit_w(double limit_w) {
  const auto& p = *params_;
  if (!(limit_w >= p.power_limit_min_w && limit_w <= p.power_limit_max_w)) {
    throw UsageError(fmt::format("power limit {} W is outside the {} range [{}, {}] W", limit_w, p.type_name,
                                 p.power_limit_min_w, p.power_limit_max_w));
  }
  power_limit_w_ = limit_w;
}

double GpuModel::dynamic_power_w(const Demand& demand) const {
  const auto& p = *params_;
  const double util = std::clamp(demand.util, 0.0, 1.0);
  const double intensity = std::clamp(demand.intensity, 0.0, 1.0);
  return (p.peak_power_w - p.idle_power_w) * intensity * std::pow(util, p.util_exponent);
}

void GpuModel::settle(const Demand& demand) {
  const auto& p = *params_;
  demand_ = demand;
  const double dynamic_w = dynamic_power_w(demand);
  std::uint64_t mask = 0;
  double ceiling_mhz = p.sm_clock_max_mhz;
  if (!demand.busy) {
    mask |= bit(ThrottleReason::gpu_idle);
    ceiling_mhz = p.sm_clock_min_mhz;
  }
  if (temperature_c_ >= p.hw_thermal_c) {
    mask |= bit(ThrottleReason::hw_thermal_slowdown) | bit(ThrottleReason::hw_slowdown);
    ceiling_mhz = std::min(ceiling_mhz, p.sm_clock_max_mhz * p.hw_thermal_clock_fraction);
  }
  if (temperature_c_ > p.sw_thermal_c) {
    mask |= bit(ThrottleReason::sw_thermal_slowdown);
    const double fraction = 1.0 - p.sw_thermal_clock_drop_per_c * (temperature_c_ - p.sw_thermal_c);
    ceiling_mhz = std::min(ceiling_mhz, p.sm_clock_max_mhz * fraction);
  }
  const auto power_at = [&](double clock_mhz) {
    return p.idle_power_w + dynamic_w * std::pow(clock_mhz / p.sm_clock_max_mhz, p.clock_exponent);
  };
  if (power_at(ceiling_mhz) > power_limit_w_) {
    mask |= bit(ThrottleReason::sw_power_cap);
    const double ratio = (power_limit_w_ - p.idle_power_w) / dynamic_w;
    ceiling_mhz = p.sm_clock_max_mhz * std::pow(ratio, 1.0 / p.clock_exponent);
  }
  // Real clocks move in fixed steps; rounding down keeps power under the cap.
  const double clamped_mhz = std::clamp(ceiling_mhz, p.sm_clock_min_mhz, p.sm_clock_max_mhz);
  const double steps = std::floor((clamped_mhz - p.sm_clock_min_mhz) / p.sm_clock_step_mhz + 1e-9);
  sm_clock_mhz_ = p.sm_clock_min_mhz + steps * p.sm_clock_step_mhz;
  power_w_ = power_at(sm_clock_mhz_);
  throttle_mask_ = mask;
}

void GpuModel::advance(const Demand& demand, double dt_s) {
  const auto& p = *params_;
  settle(demand);
  const double dt = std::max(dt_s, 0.0);
  const double steady_c = p.ambient_c + p.thermal_resistance_c_per_w * power_w_;
  temperature_c_ = steady_c + (temperature_c_ - steady_c) * std::exp(-dt / p.thermal_time_constant_s);
  energy_mj_ += power_w_ * dt * 1000.0;
}

MetricValues GpuModel::readings() const {
  const auto& p = *params_;
  const double mem_used_mib = std::clamp(std::round(demand_.mem_used_mib), 0.0, p.mem_total_mib);
  const double fan_pct = p.fan_min_pct + p.fan_pct_per_c * (temperature_c_ - p.fan_start_c);
  MetricValues v;
  v.set(Metric::gpu_util_pct, std::round(std::clamp(demand_.util, 0.0, 1.0) * 100.0));
  v.set(Metric::mem_util_pct, std::round(std::clamp(demand_.mem_util, 0.0, 1.0) * 100.0));
  v.set(Metric::mem_used_mib, mem_used_mib);
  v.set(Metric::mem_free_mib, p.mem_total_mib - mem_used_mib);
  v.set(Metric::mem_total_mib, p.mem_total_mib);
  v.set(Metric::temperature_c, std::round(temperature_c_));
  v.set(Metric::power_w, std::round(power_w_ * 1000.0) / 1000.0);
  v.set(Metric::power_limit_w, power_limit_w_);
  v.set(Metric::sm_clock_mhz, sm_clock_mhz_);
  v.set(Metric::mem_clock_mhz, p.mem_clock_mhz);
  v.set(Metric::graphics_clock_mhz, sm_clock_mhz_);
  v.set(Metric::energy_mj, std::floor(energy_mj_));
  v.set(Metric::fan_speed_pct, std::round(std::clamp(fan_pct, p.fan_min_pct, 100.0)));
  v.set(Metric::pstate, demand_.busy ? 0.0 : 8.0);
  v.set(Metric::throttle_reasons, static_cast<double>(throttle_mask_));
  return v;
}

}  // namespace gpuopt::sim
