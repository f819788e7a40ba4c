// The seam through which gpuopt changes GPU settings: power limits and locked SM clocks.
// Implementations: NVML (open_nvml_control, src/telemetry/nvml_control.cpp, the only code that
// calls NVML's setters) and the simulated source in `gpuopt serve`. Callers go through
// apply_setting() (safe_apply.hpp), which checks constraints and records every change.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpuopt::power {

// What a GPU reports about its settings; absent = it cannot tell.
struct DeviceSettings {
  int index = 0;
  std::string uuid;
  std::string name;
  std::optional<double> power_limit_w;  // the limit in force
  std::optional<double> power_limit_min_w;
  std::optional<double> power_limit_max_w;
  std::optional<double> power_limit_default_w;
  std::optional<double> sm_clock_max_mhz;
  std::vector<double> sm_clocks_mhz;  // supported SM (graphics) clocks, descending; empty = unknown
};

// Not thread-safe: one thread uses a DeviceControl at a time.
class DeviceControl {
 public:
  virtual ~DeviceControl() = default;
  virtual std::string name() const = 0;  // "nvml", "sim"
  virtual int device_count() const = 0;
  // Throws UsageError for an index that is not one of the GPUs.
  virtual DeviceSettings settings(int gpu) const = 0;
  // Each throws NvmlError (or UsageError for the simulator) with one clear line when the
  // device refuses: no privileges, not supported, out of range.
  virtual void set_power_limit_w(int gpu, double limit_w) = 0;
  virtual void lock_sm_clock_mhz(int gpu, double clock_mhz) = 0;
  virtual void reset_sm_clock(int gpu) = 0;
};

// NVML through the run-time loaded driver library (same lookup as the nvml telemetry source).
// Throws NvmlError when NVML cannot be loaded or initialized.
std::unique_ptr<DeviceControl> open_nvml_control(const std::string& library_path);

}  // namespace gpuopt::power
