// The simulated GPU's physics: how power, clocks, temperature, energy and throttle reasons
// respond to a demanded load and a power limit. Every equation and parameter is documented in
// docs/sim-model.md; keep the two in step.
#pragma once

#include <cstdint>
#include <string_view>

#include "gpuopt/metric.hpp"

namespace gpuopt::sim {

// Constants of one GPU type (see the table in docs/sim-model.md).
struct GpuParams {
  std::string_view type_name;  // "A100-SXM4-40GB"
  double idle_power_w;         // P_idle: board power with no kernel running
  double peak_power_w;         // P_peak: power of the heaviest kernels at full use and f_max, uncapped
  double power_limit_default_w;
  double power_limit_min_w;
  double power_limit_max_w;
  double util_exponent;   // alpha in P = P_idle + (P_peak - P_idle) * k * u^alpha * (f/f_max)^beta
  double clock_exponent;  // beta
  double sm_clock_min_mhz;
  double sm_clock_max_mhz;
  double sm_clock_step_mhz;  // clocks move in steps of this size above the minimum
  double mem_clock_mhz;
  double mem_total_mib;
  double idle_mem_used_mib;            // driver reservation shown with no process
  double ambient_c;                    // T_amb
  double thermal_resistance_c_per_w;   // R_th: steady-state rise per watt
  double thermal_time_constant_s;      // tau
  double sw_thermal_c;                 // above this the driver lowers clocks (sw_thermal_slowdown)
  double sw_thermal_clock_drop_per_c;  // fraction of f_max removed per degree above sw_thermal_c
  double hw_thermal_c;                 // at or above this the hardware halves clocks (hw_thermal_slowdown)
  double hw_thermal_clock_fraction;    // the clock ceiling then, as a fraction of f_max
  double fan_min_pct;
  double fan_start_c;  // the fan leaves its minimum above this temperature
  double fan_pct_per_c;
};

// The one GPU type the simulator models today.
const GpuParams& a100_sxm4_40gb();

// What the workload asks of the GPU over a time step.
struct Demand {
  bool busy = false;        // a process holds the GPU: P0 (else idle in P8 at the minimum clock)
  double util = 0;          // u: fraction of time a kernel runs, 0..1
  double mem_util = 0;      // fraction of time device memory is accessed, 0..1
  double intensity = 1;     // k: power per unit of use relative to the heaviest kernels, 0..1
  double mem_used_mib = 0;  // framebuffer memory held
};

// One simulated GPU. Not thread-safe.
class GpuModel {
 public:
  // Starts idle, at the idle steady-state temperature, with the default power limit.
  explicit GpuModel(const GpuParams& params);

  const GpuParams& params() const { return *params_; }

  double power_limit_w() const { return power_limit_w_; }
  // Takes effect at the next advance(). Throws UsageError outside [min, max] of the type.
  void set_power_limit_w(double limit_w);

  // Holds `demand` for `dt_s` seconds: settles clocks and power for the temperature at the
  // start of the step, then integrates temperature (exactly, for constant power) and energy.
  void advance(const Demand& demand, double dt_s);

  double power_w() const { return power_w_; }
  double temperature_c() const { return temperature_c_; }
  double energy_mj() const { return energy_mj_; }
  double sm_clock_mhz() const { return sm_clock_mhz_; }
  std::uint64_t throttle_mask() const { return throttle_mask_; }

  // The readings an NVIDIA driver would report for the last step, rounded as NVML rounds them
  // (integer %, degrees, MHz, mJ; power in mW).
  MetricValues readings() const;

 private:
  // Chooses the SM clock, power and throttle reasons for `demand` at the current temperature.
  void settle(const Demand& demand);
  double dynamic_power_w(const Demand& demand) const;

  const GpuParams* params_;
  double power_limit_w_;
  Demand demand_;
  double power_w_;
  double temperature_c_;
  double energy_mj_ = 0;
  double sm_clock_mhz_;
  std::uint64_t throttle_mask_ = 0;
};

}  // namespace gpuopt::sim
