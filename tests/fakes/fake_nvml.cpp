// The C ABI of the fake libnvidia-ml (see README.md). Compiled three times:
//   (default)          what a current driver exports: versioned symbols and the older names
//   FAKE_NVML_LEGACY   an old driver: no _v2/_v3 symbols, no clocks *event* reasons (only the
//                      older throttle-reasons name), no energy counter, no fan speed
//   FAKE_NVML_NO_UUID  a broken library without the required nvmlDeviceGetUUID
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "fake_control.hpp"
#include "fake_state.hpp"
#include "nvml_api.hpp"

using namespace gpuopt::nvml;
using fake_nvml::Device;
using fake_nvml::Reading;
using fake_nvml::state;

#define FAKE_NVML_EXPORT extern "C" __attribute__((visibility("default")))

// Counts calls per symbol without a lookup after the first call (keeps the fake cheap for
// benchmarks of the code that calls it).
#define FAKE_NVML_COUNT_CALL()                                                    \
  static unsigned long long& fake_nvml_calls = fake_nvml::call_counter(__func__); \
  ++fake_nvml_calls

namespace {

std::string& last_config_error() {
  static std::string message;
  return message;
}

nvmlReturn_t initialize() {
  try {
    fake_nvml::configure_from_environment();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return NVML_ERROR_UNKNOWN;
  }
  if (state().init_result != NVML_SUCCESS) return state().init_result;
  ++state().init_count;
  return NVML_SUCCESS;
}

// Handles are 1-based device indices, so they stay valid when a test reconfigures the fake.
nvmlDevice_t handle_of(unsigned int index) {
  return reinterpret_cast<nvmlDevice_t>(static_cast<std::uintptr_t>(index) + 1);
}

nvmlReturn_t find(nvmlDevice_t handle, Device** device) {
  if (state().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  const auto index = reinterpret_cast<std::uintptr_t>(handle);
  auto& devices = state().devices;
  if (index == 0 || index > devices.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &devices[index - 1];
  return (*device)->lost ? NVML_ERROR_GPU_IS_LOST : NVML_SUCCESS;
}

template <typename T>
nvmlReturn_t give(const Reading& reading, T* out) {
  if (reading.code != NVML_SUCCESS) return reading.code;
  *out = static_cast<T>(reading.value);
  return NVML_SUCCESS;
}

template <typename T>
nvmlReturn_t report(nvmlDevice_t handle, Reading Device::*member, T* out) {
  if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  return give(device->*member, out);
}

nvmlReturn_t copy_text(const std::string& text, char* out, unsigned int length) {
  if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (text.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return NVML_SUCCESS;
}

nvmlReturn_t device_text(nvmlDevice_t handle, std::string Device::*member, char* out, unsigned int length) {
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  return copy_text(device->*member, out, length);
}

nvmlReturn_t device_count(unsigned int* count) {
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (state().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  *count = static_cast<unsigned int>(state().devices.size());
  return NVML_SUCCESS;
}

nvmlReturn_t handle_by_index(unsigned int index, nvmlDevice_t* handle) {
  if (handle == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (state().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (index >= state().devices.size()) return NVML_ERROR_INVALID_ARGUMENT;
  if (state().devices[index].lost) return NVML_ERROR_GPU_IS_LOST;
  *handle = handle_of(index);
  return NVML_SUCCESS;
}

// The fields every nvmlPciInfo_t version shares; `with_bus_id` adds the v3 busId.
nvmlReturn_t pci_info(nvmlDevice_t handle, nvmlPciInfo_t* pci, bool with_bus_id) {
  if (pci == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  std::snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0", device->pci_domain,
                device->pci_bus, device->pci_device);
  pci->domain = device->pci_domain;
  pci->bus = device->pci_bus;
  pci->device = device->pci_device;
  pci->pciDeviceId = 0x20B510DE;
  pci->pciSubSystemId = 0x134F10DE;
  if (with_bus_id) {
    std::snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0", device->pci_domain, device->pci_bus,
                  device->pci_device);
  }
  return NVML_SUCCESS;
}

nvmlReturn_t clock(nvmlDevice_t handle, nvmlClockType_t type, unsigned int* mhz, bool max) {
  Device* device = nullptr;
  // A locked SM clock is what the SM and graphics clocks read.
  if (!max && type != NVML_CLOCK_MEM && mhz != nullptr && find(handle, &device) == NVML_SUCCESS &&
      device->locked_sm_clock_mhz != 0) {
    *mhz = device->locked_sm_clock_mhz;
    return NVML_SUCCESS;
  }
  switch (type) {
    case NVML_CLOCK_GRAPHICS:
      return report(handle, max ? &Device::max_clock_graphics_mhz : &Device::clock_graphics_mhz, mhz);
    case NVML_CLOCK_SM:
      return report(handle, max ? &Device::max_clock_sm_mhz : &Device::clock_sm_mhz, mhz);
    case NVML_CLOCK_MEM:
      return report(handle, max ? &Device::max_clock_mem_mhz : &Device::clock_mem_mhz, mhz);
  }
  return NVML_ERROR_INVALID_ARGUMENT;
}

// NVML's list convention: *count in = capacity, out = entries (INSUFFICIENT_SIZE when too small).
nvmlReturn_t copy_list(const std::vector<unsigned int>& values, unsigned int* count, unsigned int* out) {
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (values.empty()) return NVML_ERROR_NOT_SUPPORTED;
  const auto n = static_cast<unsigned int>(values.size());
  if (*count < n || out == nullptr) {
    *count = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  std::copy(values.begin(), values.end(), out);
  *count = n;
  return NVML_SUCCESS;
}

nvmlReturn_t cuda_driver_version(int* version) {
  if (version == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *version = state().cuda_driver_version;
  return NVML_SUCCESS;
}

nvmlReturn_t throttle_reasons(nvmlDevice_t handle, unsigned long long* reasons) {
  return report(handle, &Device::clocks_event_reasons, reasons);
}

}  // namespace

// ---- library lifetime and system queries ----

#ifndef FAKE_NVML_LEGACY
FAKE_NVML_EXPORT nvmlReturn_t nvmlInit_v2() {
  FAKE_NVML_COUNT_CALL();
  return initialize();
}
#endif

FAKE_NVML_EXPORT nvmlReturn_t nvmlInit() {
  FAKE_NVML_COUNT_CALL();
  return initialize();
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlShutdown() {
  FAKE_NVML_COUNT_CALL();
  if (state().init_count == 0) return NVML_ERROR_UNINITIALIZED;
  --state().init_count;
  return NVML_SUCCESS;
}

FAKE_NVML_EXPORT const char* nvmlErrorString(nvmlReturn_t result) {
  FAKE_NVML_COUNT_CALL();
  switch (result) {
    case NVML_SUCCESS:
      return "Success";
    case NVML_ERROR_UNINITIALIZED:
      return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
      return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
      return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
      return "Insufficient Permissions";
    case NVML_ERROR_DRIVER_NOT_LOADED:
      return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT:
      return "Timeout";
    case NVML_ERROR_GPU_IS_LOST:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  FAKE_NVML_COUNT_CALL();
  return copy_text(state().driver_version, version, length);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length) {
  FAKE_NVML_COUNT_CALL();
  return copy_text(state().nvml_version, version, length);
}

#ifndef FAKE_NVML_LEGACY
FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* version) {
  FAKE_NVML_COUNT_CALL();
  return cuda_driver_version(version);
}
#endif

FAKE_NVML_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* version) {
  FAKE_NVML_COUNT_CALL();
  return cuda_driver_version(version);
}

// ---- device enumeration and identity ----

#ifndef FAKE_NVML_LEGACY
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  FAKE_NVML_COUNT_CALL();
  return device_count(count);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  FAKE_NVML_COUNT_CALL();
  return handle_by_index(index, device);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  FAKE_NVML_COUNT_CALL();
  return pci_info(device, pci, true);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  FAKE_NVML_COUNT_CALL();
  return pci_info(device, pci, false);
}
#endif

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int* count) {
  FAKE_NVML_COUNT_CALL();
  return device_count(count);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device) {
  FAKE_NVML_COUNT_CALL();
  return handle_by_index(index, device);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  FAKE_NVML_COUNT_CALL();
  return pci_info(device, pci, false);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  FAKE_NVML_COUNT_CALL();
  return device_text(device, &Device::name, name, length);
}

#ifndef FAKE_NVML_NO_UUID
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  FAKE_NVML_COUNT_CALL();
  return device_text(device, &Device::uuid, uuid, length);
}
#endif

// ---- static limits ----

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device,
                                                                       unsigned int* limit_mw) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::default_power_limit_mw, limit_mw);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t device,
                                                                           unsigned int* min_limit_mw,
                                                                           unsigned int* max_limit_mw) {
  FAKE_NVML_COUNT_CALL();
  if (max_limit_mw == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (const nvmlReturn_t code = report(device, &Device::power_limit_min_mw, min_limit_mw);
      code != NVML_SUCCESS) {
    return code;
  }
  return report(device, &Device::power_limit_max_mw, max_limit_mw);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                                        unsigned int* clock_mhz) {
  FAKE_NVML_COUNT_CALL();
  return clock(device, type, clock_mhz, true);
}

// ---- readings ----

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* util) {
  FAKE_NVML_COUNT_CALL();
  if (util == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (const nvmlReturn_t code = report(device, &Device::utilization_gpu, &util->gpu); code != NVML_SUCCESS) {
    return code;
  }
  return report(device, &Device::utilization_memory, &util->memory);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  FAKE_NVML_COUNT_CALL();
  if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (const nvmlReturn_t code = report(device, &Device::memory_total_bytes, &memory->total);
      code != NVML_SUCCESS) {
    return code;
  }
  if (const nvmlReturn_t code = report(device, &Device::memory_used_bytes, &memory->used);
      code != NVML_SUCCESS) {
    return code;
  }
  memory->free = memory->used < memory->total ? memory->total - memory->used : 0;
  return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensor,
                                                       unsigned int* temp_c) {
  FAKE_NVML_COUNT_CALL();
  if (sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  return report(device, &Device::temperature_c, temp_c);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power_mw) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::power_usage_mw, power_mw);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int* limit_mw) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::enforced_power_limit_mw, limit_mw);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                                     unsigned int* clock_mhz) {
  FAKE_NVML_COUNT_CALL();
  return clock(device, type, clock_mhz, false);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device,
                                                                        unsigned long long* reasons) {
  FAKE_NVML_COUNT_CALL();
  return throttle_reasons(device, reasons);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t device, nvmlPstates_t* pstate) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::performance_state, pstate);
}

#ifndef FAKE_NVML_LEGACY
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device,
                                                                     unsigned long long* reasons) {
  FAKE_NVML_COUNT_CALL();
  return throttle_reasons(device, reasons);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                                  unsigned long long* energy_mj) {
  FAKE_NVML_COUNT_CALL();
  const nvmlReturn_t code = report(device, &Device::total_energy_mj, energy_mj);
  if (code == NVML_SUCCESS) {
    Device* scripted = nullptr;
    find(device, &scripted);
    scripted->total_energy_mj.value += scripted->energy_step_mj;
  }
  return code;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t device, unsigned int* speed_pct) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::fan_speed_pct, speed_pct);
}
#endif

// ---- control: power limits and locked clocks ----

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int* limit_mw) {
  FAKE_NVML_COUNT_CALL();
  return report(device, &Device::enforced_power_limit_mw, limit_mw);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t handle, unsigned int limit_mw) {
  FAKE_NVML_COUNT_CALL();
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  if (device->set_power_limit_result != NVML_SUCCESS) return device->set_power_limit_result;
  if (limit_mw < device->power_limit_min_mw.value || limit_mw > device->power_limit_max_mw.value) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  device->enforced_power_limit_mw = Reading{.value = limit_mw};
  fake_nvml::save_settings();
  return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetSupportedMemoryClocks(nvmlDevice_t handle, unsigned int* count,
                                                                 unsigned int* clocks_mhz) {
  FAKE_NVML_COUNT_CALL();
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  return copy_list(device->supported_memory_clocks_mhz, count, clocks_mhz);
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetSupportedGraphicsClocks(nvmlDevice_t handle,
                                                                   unsigned int memory_clock_mhz,
                                                                   unsigned int* count,
                                                                   unsigned int* clocks_mhz) {
  FAKE_NVML_COUNT_CALL();
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  const auto& memory = device->supported_memory_clocks_mhz;
  if (std::find(memory.begin(), memory.end(), memory_clock_mhz) == memory.end()) return NVML_ERROR_NOT_FOUND;
  return copy_list(device->supported_graphics_clocks_mhz, count, clocks_mhz);
}

#ifndef FAKE_NVML_LEGACY
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceSetGpuLockedClocks(nvmlDevice_t handle, unsigned int min_mhz,
                                                           unsigned int max_mhz) {
  FAKE_NVML_COUNT_CALL();
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  if (device->set_clocks_result != NVML_SUCCESS) return device->set_clocks_result;
  if (min_mhz > max_mhz || max_mhz > device->max_clock_sm_mhz.value) return NVML_ERROR_INVALID_ARGUMENT;
  device->locked_sm_clock_mhz = max_mhz;
  fake_nvml::save_settings();
  return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceResetGpuLockedClocks(nvmlDevice_t handle) {
  FAKE_NVML_COUNT_CALL();
  Device* device = nullptr;
  if (const nvmlReturn_t code = find(handle, &device); code != NVML_SUCCESS) return code;
  if (device->set_clocks_result != NVML_SUCCESS) return device->set_clocks_result;
  device->locked_sm_clock_mhz = 0;
  fake_nvml::save_settings();
  return NVML_SUCCESS;
}
#endif

// ---- control API for tests (fake_control.hpp) ----

FAKE_NVML_EXPORT int fake_nvml_configure(const char* json) {
  try {
    fake_nvml::configure(json != nullptr ? json : "");
    last_config_error().clear();
    return 0;
  } catch (const std::exception& e) {
    last_config_error() = e.what();
    return -1;
  }
}

FAKE_NVML_EXPORT const char* fake_nvml_last_error() { return last_config_error().c_str(); }

FAKE_NVML_EXPORT unsigned long long fake_nvml_call_count(const char* symbol) {
  return symbol != nullptr ? fake_nvml::call_counter(symbol) : 0;
}

// The exported signatures must be exactly those gpuopt's loader casts them to.
#ifndef FAKE_NVML_LEGACY
static_assert(std::is_same_v<decltype(&nvmlInit_v2), nvmlInit_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetCount_v2), nvmlDeviceGetCount_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetHandleByIndex_v2), nvmlDeviceGetHandleByIndex_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPciInfo_v3), nvmlDeviceGetPciInfo_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetCurrentClocksEventReasons),
                             nvmlDeviceGetCurrentClocksEventReasons_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetTotalEnergyConsumption), nvmlDeviceGetTotalEnergyConsumption_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetFanSpeed), nvmlDeviceGetFanSpeed_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceSetGpuLockedClocks), nvmlDeviceSetGpuLockedClocks_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceResetGpuLockedClocks), nvmlDeviceResetGpuLockedClocks_fn>);
#endif
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetPowerManagementLimit), nvmlDeviceGetPowerManagementLimit_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceSetPowerManagementLimit), nvmlDeviceSetPowerManagementLimit_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetSupportedMemoryClocks), nvmlDeviceGetSupportedMemoryClocks_fn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetSupportedGraphicsClocks), nvmlDeviceGetSupportedGraphicsClocks_fn>);
#ifndef FAKE_NVML_NO_UUID
static_assert(std::is_same_v<decltype(&nvmlDeviceGetUUID), nvmlDeviceGetUUID_fn>);
#endif
static_assert(std::is_same_v<decltype(&nvmlShutdown), nvmlShutdown_fn>);
static_assert(std::is_same_v<decltype(&nvmlErrorString), nvmlErrorString_fn>);
static_assert(std::is_same_v<decltype(&nvmlSystemGetDriverVersion), nvmlSystemGetDriverVersion_fn>);
static_assert(std::is_same_v<decltype(&nvmlSystemGetNVMLVersion), nvmlSystemGetNVMLVersion_fn>);
static_assert(std::is_same_v<decltype(&nvmlSystemGetCudaDriverVersion), nvmlSystemGetCudaDriverVersion_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetName), nvmlDeviceGetName_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetUtilizationRates), nvmlDeviceGetUtilizationRates_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMemoryInfo), nvmlDeviceGetMemoryInfo_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetTemperature), nvmlDeviceGetTemperature_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPowerUsage), nvmlDeviceGetPowerUsage_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetEnforcedPowerLimit), nvmlDeviceGetEnforcedPowerLimit_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPowerManagementDefaultLimit),
                             nvmlDeviceGetPowerManagementDefaultLimit_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPowerManagementLimitConstraints),
                             nvmlDeviceGetPowerManagementLimitConstraints_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetClockInfo), nvmlDeviceGetClockInfo_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMaxClockInfo), nvmlDeviceGetMaxClockInfo_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetCurrentClocksThrottleReasons),
                             nvmlDeviceGetCurrentClocksEventReasons_fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPerformanceState), nvmlDeviceGetPerformanceState_fn>);
static_assert(std::is_same_v<decltype(&fake_nvml_configure), fake_nvml_configure_fn>);
static_assert(std::is_same_v<decltype(&fake_nvml_last_error), fake_nvml_last_error_fn>);
static_assert(std::is_same_v<decltype(&fake_nvml_call_count), fake_nvml_call_count_fn>);
