#include "nvml_library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <initializer_list>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::nvml {
namespace {

constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

struct Candidates {
  std::vector<std::string> files;
  std::string origin;  // "--nvml-lib" / "$GPUOPT_NVML_LIBRARY"; "" for the driver's defaults
};

// An explicit choice is never silently replaced by the system library: a typo in --nvml-lib
// must fail rather than monitor something else.
Candidates candidates(const std::string& explicit_path) {
  if (!explicit_path.empty()) return {{explicit_path}, "--nvml-lib"};
  // NOLINTNEXTLINE(concurrency-mt-unsafe): gpuopt never modifies its environment
  if (const char* env = std::getenv("GPUOPT_NVML_LIBRARY"); env != nullptr && *env != '\0') {
    return {{env}, "$GPUOPT_NVML_LIBRARY"};
  }
  return {{kDefaultLibrary, "libnvidia-ml.so"}, ""};
}

std::string last_dl_error() {
  const char* error = dlerror();  // NOLINT(concurrency-mt-unsafe): glibc keeps it per thread
  return error != nullptr ? error : "unknown error";
}

std::string loaded_file(void* handle, const std::string& requested) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
      *map->l_name != '\0') {
    return map->l_name;
  }
  return requested;
}

// Tries `names` in order (newest ABI first) and stores the first one found in `slot`.
template <typename Fn>
void bind(void* handle, const std::string& path, Fn& slot, std::initializer_list<const char*> names,
          bool required) {
  for (const char* name : names) {
    if (void* symbol = dlsym(handle, name)) {
      slot = reinterpret_cast<Fn>(symbol);
      return;
    }
  }
  if (required) {
    throw NvmlError(fmt::format("{} lacks the required NVML function {} (NVIDIA driver too old?)", path,
                                fmt::join(names, " / ")));
  }
}

NvmlApi resolve(void* handle, const std::string& path) {
  constexpr bool kRequired = true;
  constexpr bool kOptional = false;
  NvmlApi api;
  bind(handle, path, api.init, {"nvmlInit_v2", "nvmlInit"}, kRequired);
  bind(handle, path, api.shutdown, {"nvmlShutdown"}, kRequired);
  bind(handle, path, api.error_string, {"nvmlErrorString"}, kRequired);
  bind(handle, path, api.device_get_count, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, kRequired);
  bind(handle, path, api.device_get_handle_by_index,
       {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"}, kRequired);
  bind(handle, path, api.device_get_name, {"nvmlDeviceGetName"}, kRequired);
  bind(handle, path, api.device_get_uuid, {"nvmlDeviceGetUUID"}, kRequired);

  bind(handle, path, api.system_get_driver_version, {"nvmlSystemGetDriverVersion"}, kOptional);
  bind(handle, path, api.system_get_nvml_version, {"nvmlSystemGetNVMLVersion"}, kOptional);
  bind(handle, path, api.system_get_cuda_driver_version,
       {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"}, kOptional);
  bind(handle, path, api.device_get_pci_info,
       {"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo"}, kOptional);
  bind(handle, path, api.device_get_utilization_rates, {"nvmlDeviceGetUtilizationRates"}, kOptional);
  bind(handle, path, api.device_get_memory_info, {"nvmlDeviceGetMemoryInfo"}, kOptional);
  bind(handle, path, api.device_get_temperature, {"nvmlDeviceGetTemperature"}, kOptional);
  bind(handle, path, api.device_get_power_usage, {"nvmlDeviceGetPowerUsage"}, kOptional);
  bind(handle, path, api.device_get_enforced_power_limit, {"nvmlDeviceGetEnforcedPowerLimit"}, kOptional);
  bind(handle, path, api.device_get_power_management_default_limit,
       {"nvmlDeviceGetPowerManagementDefaultLimit"}, kOptional);
  bind(handle, path, api.device_get_power_management_limit_constraints,
       {"nvmlDeviceGetPowerManagementLimitConstraints"}, kOptional);
  bind(handle, path, api.device_get_clock_info, {"nvmlDeviceGetClockInfo"}, kOptional);
  bind(handle, path, api.device_get_max_clock_info, {"nvmlDeviceGetMaxClockInfo"}, kOptional);
  bind(handle, path, api.device_get_current_clocks_event_reasons,
       {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"}, kOptional);
  bind(handle, path, api.device_get_total_energy_consumption, {"nvmlDeviceGetTotalEnergyConsumption"},
       kOptional);
  bind(handle, path, api.device_get_performance_state, {"nvmlDeviceGetPerformanceState"}, kOptional);
  bind(handle, path, api.device_get_fan_speed, {"nvmlDeviceGetFanSpeed"}, kOptional);
  bind(handle, path, api.device_get_power_management_limit, {"nvmlDeviceGetPowerManagementLimit"}, kOptional);
  bind(handle, path, api.device_set_power_management_limit, {"nvmlDeviceSetPowerManagementLimit"}, kOptional);
  bind(handle, path, api.device_set_gpu_locked_clocks, {"nvmlDeviceSetGpuLockedClocks"}, kOptional);
  bind(handle, path, api.device_reset_gpu_locked_clocks, {"nvmlDeviceResetGpuLockedClocks"}, kOptional);
  bind(handle, path, api.device_get_supported_memory_clocks, {"nvmlDeviceGetSupportedMemoryClocks"},
       kOptional);
  bind(handle, path, api.device_get_supported_graphics_clocks, {"nvmlDeviceGetSupportedGraphicsClocks"},
       kOptional);
  return api;
}

// What people should read for the codes they are likely to meet, instead of NVML's terse text.
struct CodeText {
  nvmlReturn_t code;
  std::string_view summary;
  std::string_view hint;
};

constexpr CodeText kCodeTexts[] = {
    {NVML_ERROR_UNINITIALIZED, "NVML not initialized", ""},
    {NVML_ERROR_NOT_SUPPORTED, "not supported on this GPU", ""},
    {NVML_ERROR_NO_PERMISSION, "permission denied", "run as a user that may open /dev/nvidia* (e.g. root)"},
    {NVML_ERROR_DRIVER_NOT_LOADED, "NVIDIA driver not loaded", "no NVIDIA GPU on this machine?"},
    {NVML_ERROR_LIBRARY_NOT_FOUND, "NVML library not found", "is the NVIDIA driver installed?"},
    {NVML_ERROR_GPU_IS_LOST, "GPU is lost", "check `nvidia-smi`/dmesg"},
    {NVML_ERROR_RESET_REQUIRED, "GPU needs a reset", "see `nvidia-smi -r`"},
    {NVML_ERROR_OPERATING_SYSTEM, "GPU access blocked by the operating system",
     "are /dev/nvidia* visible here (container, cgroups)?"},
    {NVML_ERROR_LIB_RM_VERSION_MISMATCH, "NVML library and kernel driver versions differ",
     "reload the nvidia kernel module or reboot after a driver update"},
    {NVML_ERROR_INSUFFICIENT_POWER, "GPU power cables not properly attached", ""},
};

}  // namespace

Outcome classify(nvmlReturn_t code) {
  switch (code) {
    case NVML_SUCCESS:
      return Outcome::ok;
    case NVML_ERROR_NOT_SUPPORTED:
    case NVML_ERROR_FUNCTION_NOT_FOUND:
    case NVML_ERROR_NO_DATA:
      return Outcome::absent;
    case NVML_ERROR_GPU_IS_LOST:
    case NVML_ERROR_RESET_REQUIRED:
      return Outcome::gpu_lost;
    case NVML_ERROR_UNINITIALIZED:
    case NVML_ERROR_NO_PERMISSION:
    case NVML_ERROR_DRIVER_NOT_LOADED:
    case NVML_ERROR_LIBRARY_NOT_FOUND:
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
    case NVML_ERROR_OPERATING_SYSTEM:
      return Outcome::fatal;
    default:
      return Outcome::failed;
  }
}

NvmlLibrary::NvmlLibrary(const std::string& explicit_path) {
  const Candidates tried = candidates(explicit_path);
  std::string first_error;
  for (const std::string& file : tried.files) {
    handle_ = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      path_ = loaded_file(handle_, file);
      break;
    }
    if (first_error.empty()) first_error = last_dl_error();
  }
  if (handle_ == nullptr) {
    if (tried.origin.empty() && first_error.find("No such file") != std::string::npos) {
      throw NvmlError(fmt::format("{} not found (no NVIDIA driver installed)", kDefaultLibrary));
    }
    throw NvmlError(fmt::format("cannot load the NVML library{}: {}",
                                tried.origin.empty() ? "" : " given by " + tried.origin, first_error));
  }
  try {
    api_ = resolve(handle_, path_);
  } catch (...) {
    dlclose(handle_);
    throw;
  }
}

NvmlLibrary::~NvmlLibrary() {
  if (initialized_) api_.shutdown();
  dlclose(handle_);
}

void NvmlLibrary::init() {
  if (initialized_) return;
  check(api_.init(), "nvmlInit");
  initialized_ = true;
}

std::string NvmlLibrary::describe(nvmlReturn_t code) const {
  std::string_view name = return_code_name(code);
  const std::string unnamed = fmt::format("NVML error {}", static_cast<int>(code));
  if (name.empty()) name = unnamed;
  for (const CodeText& text : kCodeTexts) {
    if (text.code != code) continue;
    if (text.hint.empty()) return fmt::format("{} ({})", text.summary, name);
    return fmt::format("{} ({}): {}", text.summary, name, text.hint);
  }
  const char* nvml_text = api_.error_string(code);
  return fmt::format("{} ({})", nvml_text != nullptr ? nvml_text : "unknown error", name);
}

void NvmlLibrary::check(nvmlReturn_t code, std::string_view call) const {
  if (code == NVML_SUCCESS) return;
  throw NvmlError(fmt::format("{}: {}", call, describe(code)));
}

}  // namespace gpuopt::nvml
