// The part of NVML's C ABI that gpuopt uses, declared locally because no nvml.h is installed
// (NVML is loaded at run time, see nvml_library.hpp). Names, values and layouts follow
// NVIDIA's nvml.h (API version 12); only what gpuopt calls is declared here.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace gpuopt::nvml {

// Return codes of every NVML call (nvml.h nvmlReturn_t).
enum nvmlReturn_t : int {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NO_PERMISSION = 4,
  NVML_ERROR_ALREADY_INITIALIZED = 5,
  NVML_ERROR_NOT_FOUND = 6,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_INSUFFICIENT_POWER = 8,
  NVML_ERROR_DRIVER_NOT_LOADED = 9,
  NVML_ERROR_TIMEOUT = 10,
  NVML_ERROR_IRQ_ISSUE = 11,
  NVML_ERROR_LIBRARY_NOT_FOUND = 12,
  NVML_ERROR_FUNCTION_NOT_FOUND = 13,
  NVML_ERROR_CORRUPTED_INFOROM = 14,
  NVML_ERROR_GPU_IS_LOST = 15,
  NVML_ERROR_RESET_REQUIRED = 16,
  NVML_ERROR_OPERATING_SYSTEM = 17,
  NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
  NVML_ERROR_IN_USE = 19,
  NVML_ERROR_MEMORY = 20,
  NVML_ERROR_NO_DATA = 21,
  NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
  NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
  NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
  NVML_ERROR_DEPRECATED = 26,
  NVML_ERROR_NOT_READY = 27,
  NVML_ERROR_UNKNOWN = 999,
};

// The enumerator spelling of each return code, for messages and the fake library's config.
inline constexpr std::array<std::pair<nvmlReturn_t, std::string_view>, 29> kReturnCodeNames{{
    {NVML_SUCCESS, "NVML_SUCCESS"},
    {NVML_ERROR_UNINITIALIZED, "NVML_ERROR_UNINITIALIZED"},
    {NVML_ERROR_INVALID_ARGUMENT, "NVML_ERROR_INVALID_ARGUMENT"},
    {NVML_ERROR_NOT_SUPPORTED, "NVML_ERROR_NOT_SUPPORTED"},
    {NVML_ERROR_NO_PERMISSION, "NVML_ERROR_NO_PERMISSION"},
    {NVML_ERROR_ALREADY_INITIALIZED, "NVML_ERROR_ALREADY_INITIALIZED"},
    {NVML_ERROR_NOT_FOUND, "NVML_ERROR_NOT_FOUND"},
    {NVML_ERROR_INSUFFICIENT_SIZE, "NVML_ERROR_INSUFFICIENT_SIZE"},
    {NVML_ERROR_INSUFFICIENT_POWER, "NVML_ERROR_INSUFFICIENT_POWER"},
    {NVML_ERROR_DRIVER_NOT_LOADED, "NVML_ERROR_DRIVER_NOT_LOADED"},
    {NVML_ERROR_TIMEOUT, "NVML_ERROR_TIMEOUT"},
    {NVML_ERROR_IRQ_ISSUE, "NVML_ERROR_IRQ_ISSUE"},
    {NVML_ERROR_LIBRARY_NOT_FOUND, "NVML_ERROR_LIBRARY_NOT_FOUND"},
    {NVML_ERROR_FUNCTION_NOT_FOUND, "NVML_ERROR_FUNCTION_NOT_FOUND"},
    {NVML_ERROR_CORRUPTED_INFOROM, "NVML_ERROR_CORRUPTED_INFOROM"},
    {NVML_ERROR_GPU_IS_LOST, "NVML_ERROR_GPU_IS_LOST"},
    {NVML_ERROR_RESET_REQUIRED, "NVML_ERROR_RESET_REQUIRED"},
    {NVML_ERROR_OPERATING_SYSTEM, "NVML_ERROR_OPERATING_SYSTEM"},
    {NVML_ERROR_LIB_RM_VERSION_MISMATCH, "NVML_ERROR_LIB_RM_VERSION_MISMATCH"},
    {NVML_ERROR_IN_USE, "NVML_ERROR_IN_USE"},
    {NVML_ERROR_MEMORY, "NVML_ERROR_MEMORY"},
    {NVML_ERROR_NO_DATA, "NVML_ERROR_NO_DATA"},
    {NVML_ERROR_VGPU_ECC_NOT_SUPPORTED, "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED"},
    {NVML_ERROR_INSUFFICIENT_RESOURCES, "NVML_ERROR_INSUFFICIENT_RESOURCES"},
    {NVML_ERROR_FREQ_NOT_SUPPORTED, "NVML_ERROR_FREQ_NOT_SUPPORTED"},
    {NVML_ERROR_ARGUMENT_VERSION_MISMATCH, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH"},
    {NVML_ERROR_DEPRECATED, "NVML_ERROR_DEPRECATED"},
    {NVML_ERROR_NOT_READY, "NVML_ERROR_NOT_READY"},
    {NVML_ERROR_UNKNOWN, "NVML_ERROR_UNKNOWN"},
}};

// "NVML_ERROR_GPU_IS_LOST", or "" for a code this table does not know.
constexpr std::string_view return_code_name(nvmlReturn_t code) {
  for (const auto& [value, name] : kReturnCodeNames) {
    if (value == code) return name;
  }
  return {};
}

// Opaque device handle (nvml.h: a pointer to struct nvmlDevice_st).
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

enum nvmlClockType_t : int {
  NVML_CLOCK_GRAPHICS = 0,
  NVML_CLOCK_SM = 1,
  NVML_CLOCK_MEM = 2,
};

enum nvmlTemperatureSensors_t : int {
  NVML_TEMPERATURE_GPU = 0,
};

// P0 (maximum performance) .. P15; NVML_PSTATE_UNKNOWN when the driver cannot tell.
enum nvmlPstates_t : int {
  NVML_PSTATE_0 = 0,
  NVML_PSTATE_15 = 15,
  NVML_PSTATE_UNKNOWN = 32,
};

// Buffer sizes nvml.h guarantees to be large enough.
inline constexpr unsigned int NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;
inline constexpr unsigned int NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;
inline constexpr unsigned int NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;
inline constexpr unsigned int NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE = 80;
inline constexpr unsigned int NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE = 32;
inline constexpr unsigned int NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE = 16;

// Percent of the last sample period (1/6 s .. 1 s) a kernel ran / device memory was accessed.
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

// Framebuffer memory in bytes (nvmlMemory_t, v1 layout: total, free, used).
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

// PCI location (v3 layout). domain/bus/device sit at the same offsets in the older layouts
// filled by nvmlDeviceGetPciInfo_v2 and nvmlDeviceGetPciInfo, which are no larger than this.
struct nvmlPciInfo_t {
  char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
};

// Signatures of the entry points gpuopt resolves. Where a versioned symbol exists (nvmlInit_v2,
// nvmlDeviceGetPciInfo_v3, ...) the older one has the same signature.
using nvmlInit_fn = nvmlReturn_t (*)();
using nvmlShutdown_fn = nvmlReturn_t (*)();
using nvmlErrorString_fn = const char* (*)(nvmlReturn_t result);
using nvmlSystemGetDriverVersion_fn = nvmlReturn_t (*)(char* version, unsigned int length);
using nvmlSystemGetNVMLVersion_fn = nvmlReturn_t (*)(char* version, unsigned int length);
using nvmlSystemGetCudaDriverVersion_fn = nvmlReturn_t (*)(int* cuda_driver_version);  // 12020 = 12.2
using nvmlDeviceGetCount_fn = nvmlReturn_t (*)(unsigned int* device_count);
using nvmlDeviceGetHandleByIndex_fn = nvmlReturn_t (*)(unsigned int index, nvmlDevice_t* device);
using nvmlDeviceGetName_fn = nvmlReturn_t (*)(nvmlDevice_t device, char* name, unsigned int length);
using nvmlDeviceGetUUID_fn = nvmlReturn_t (*)(nvmlDevice_t device, char* uuid, unsigned int length);
using nvmlDeviceGetPciInfo_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlPciInfo_t* pci);
using nvmlDeviceGetUtilizationRates_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                          nvmlUtilization_t* utilization);
using nvmlDeviceGetMemoryInfo_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlMemory_t* memory);
using nvmlDeviceGetTemperature_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlTemperatureSensors_t sensor,
                                                     unsigned int* temp_c);
using nvmlDeviceGetPowerUsage_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int* power_mw);
using nvmlDeviceGetEnforcedPowerLimit_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int* limit_mw);
using nvmlDeviceGetPowerManagementDefaultLimit_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                                     unsigned int* default_limit_mw);
using nvmlDeviceGetPowerManagementLimitConstraints_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                                         unsigned int* min_limit_mw,
                                                                         unsigned int* max_limit_mw);
using nvmlDeviceGetClockInfo_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlClockType_t type,
                                                   unsigned int* clock_mhz);
using nvmlDeviceGetMaxClockInfo_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlClockType_t type,
                                                      unsigned int* clock_mhz);
// Bitmask of nvmlClocksEventReason* (formerly nvmlClocksThrottleReason*), see gpuopt/throttle.hpp.
using nvmlDeviceGetCurrentClocksEventReasons_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                                   unsigned long long* reasons);
using nvmlDeviceGetTotalEnergyConsumption_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                                unsigned long long* energy_mj);
using nvmlDeviceGetPerformanceState_fn = nvmlReturn_t (*)(nvmlDevice_t device, nvmlPstates_t* pstate);
using nvmlDeviceGetFanSpeed_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int* speed_pct);

// Control (power limits and locked clocks). Setters need root: NVML_ERROR_NO_PERMISSION
// otherwise; a GPU that cannot do it answers NVML_ERROR_NOT_SUPPORTED, a value outside the
// device's constraints NVML_ERROR_INVALID_ARGUMENT.
using nvmlDeviceGetPowerManagementLimit_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int* limit_mw);
using nvmlDeviceSetPowerManagementLimit_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int limit_mw);
using nvmlDeviceSetGpuLockedClocks_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int min_gpu_clock_mhz,
                                                         unsigned int max_gpu_clock_mhz);
using nvmlDeviceResetGpuLockedClocks_fn = nvmlReturn_t (*)(nvmlDevice_t device);
// On entry *count is the capacity of clocks_mhz; NVML_ERROR_INSUFFICIENT_SIZE sets it to the
// number needed.
using nvmlDeviceGetSupportedMemoryClocks_fn = nvmlReturn_t (*)(nvmlDevice_t device, unsigned int* count,
                                                               unsigned int* clocks_mhz);
using nvmlDeviceGetSupportedGraphicsClocks_fn = nvmlReturn_t (*)(nvmlDevice_t device,
                                                                 unsigned int memory_clock_mhz,
                                                                 unsigned int* count,
                                                                 unsigned int* clocks_mhz);

}  // namespace gpuopt::nvml
