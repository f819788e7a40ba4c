// The NVIDIA Management Library loaded at run time: the only dlopen in gpuopt. Resolves the
// entry points of nvml_api.hpp (versioned symbol first, then the older one) and translates
// nvmlReturn_t into gpuopt's errors. Internal to the telemetry layer.
#pragma once

#include <string>
#include <string_view>

#include "nvml_api.hpp"

namespace gpuopt::nvml {

// Resolved entry points. Required ones are never null once an NvmlLibrary exists; optional
// ones are null when this driver's library lacks them (their metrics are then absent).
struct NvmlApi {
  // required
  nvmlInit_fn init = nullptr;                        // nvmlInit_v2, nvmlInit
  nvmlShutdown_fn shutdown = nullptr;                // nvmlShutdown
  nvmlErrorString_fn error_string = nullptr;         // nvmlErrorString
  nvmlDeviceGetCount_fn device_get_count = nullptr;  // nvmlDeviceGetCount_v2, nvmlDeviceGetCount
  nvmlDeviceGetHandleByIndex_fn device_get_handle_by_index = nullptr;  // _v2, plain
  nvmlDeviceGetName_fn device_get_name = nullptr;
  nvmlDeviceGetUUID_fn device_get_uuid = nullptr;
  // optional
  nvmlSystemGetDriverVersion_fn system_get_driver_version = nullptr;
  nvmlSystemGetNVMLVersion_fn system_get_nvml_version = nullptr;
  nvmlSystemGetCudaDriverVersion_fn system_get_cuda_driver_version = nullptr;  // _v2, plain
  nvmlDeviceGetPciInfo_fn device_get_pci_info = nullptr;                       // _v3, _v2, plain
  nvmlDeviceGetUtilizationRates_fn device_get_utilization_rates = nullptr;
  nvmlDeviceGetMemoryInfo_fn device_get_memory_info = nullptr;
  nvmlDeviceGetTemperature_fn device_get_temperature = nullptr;
  nvmlDeviceGetPowerUsage_fn device_get_power_usage = nullptr;
  nvmlDeviceGetEnforcedPowerLimit_fn device_get_enforced_power_limit = nullptr;
  nvmlDeviceGetPowerManagementDefaultLimit_fn device_get_power_management_default_limit = nullptr;
  nvmlDeviceGetPowerManagementLimitConstraints_fn device_get_power_management_limit_constraints = nullptr;
  nvmlDeviceGetClockInfo_fn device_get_clock_info = nullptr;
  nvmlDeviceGetMaxClockInfo_fn device_get_max_clock_info = nullptr;
  // nvmlDeviceGetCurrentClocksEventReasons, then nvmlDeviceGetCurrentClocksThrottleReasons
  nvmlDeviceGetCurrentClocksEventReasons_fn device_get_current_clocks_event_reasons = nullptr;
  nvmlDeviceGetTotalEnergyConsumption_fn device_get_total_energy_consumption = nullptr;
  nvmlDeviceGetPerformanceState_fn device_get_performance_state = nullptr;
  nvmlDeviceGetFanSpeed_fn device_get_fan_speed = nullptr;
  // optional, control (nvml_control.cpp)
  nvmlDeviceGetPowerManagementLimit_fn device_get_power_management_limit = nullptr;
  nvmlDeviceSetPowerManagementLimit_fn device_set_power_management_limit = nullptr;
  nvmlDeviceSetGpuLockedClocks_fn device_set_gpu_locked_clocks = nullptr;
  nvmlDeviceResetGpuLockedClocks_fn device_reset_gpu_locked_clocks = nullptr;
  nvmlDeviceGetSupportedMemoryClocks_fn device_get_supported_memory_clocks = nullptr;
  nvmlDeviceGetSupportedGraphicsClocks_fn device_get_supported_graphics_clocks = nullptr;
};

// How a caller should treat an NVML return code.
enum class Outcome {
  ok,        // NVML_SUCCESS
  absent,    // this GPU cannot report it (NOT_SUPPORTED, FUNCTION_NOT_FOUND, NO_DATA)
  gpu_lost,  // the GPU is unusable until reset (GPU_IS_LOST, RESET_REQUIRED)
  fatal,     // NVML as a whole is unusable (UNINITIALIZED, NO_PERMISSION, DRIVER_NOT_LOADED, ...)
  failed,    // anything else: this one call failed
};
Outcome classify(nvmlReturn_t code);

// A loaded (and, after init(), initialized) libnvidia-ml. Not copyable or movable; the
// destructor calls nvmlShutdown when init() succeeded, then unloads the library.
// NVML itself is thread-safe; this object is immutable after init().
class NvmlLibrary {
 public:
  // Which file to load: `explicit_path` when not empty (only that one), else
  // $GPUOPT_NVML_LIBRARY when set (only that one), else "libnvidia-ml.so.1", then
  // "libnvidia-ml.so" on the loader's search path. Throws NvmlError when no file loads
  // ("libnvidia-ml.so.1 not found (no NVIDIA driver installed)") or a required symbol is
  // missing (the message names it).
  explicit NvmlLibrary(const std::string& explicit_path);
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  // Calls nvmlInit; throws NvmlError "nvmlInit: <describe(code)>" when it fails.
  void init();

  // The file that was loaded (absolute when the dynamic loader reports it).
  const std::string& path() const { return path_; }
  const NvmlApi& api() const { return api_; }

  // One clause for a return code, e.g. "NVIDIA driver not loaded (NVML_ERROR_DRIVER_NOT_LOADED):
  // no NVIDIA GPU on this machine?"; codes without a curated text use nvmlErrorString.
  std::string describe(nvmlReturn_t code) const;

  // The one error wrapper: returns on NVML_SUCCESS, else throws NvmlError "<call>: <describe>".
  void check(nvmlReturn_t code, std::string_view call) const;

 private:
  void* handle_ = nullptr;
  std::string path_;
  NvmlApi api_;
  bool initialized_ = false;
};

}  // namespace gpuopt::nvml
