// NVML's setters for power limits and locked clocks (the DeviceControl of device_control.hpp).
#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/device_control.hpp"
#include "nvml_library.hpp"

namespace gpuopt {
namespace {

using namespace nvml;

class NvmlControl final : public power::DeviceControl {
 public:
  explicit NvmlControl(const std::string& library_path) : nvml_(library_path) {
    nvml_.init();
    unsigned int count = 0;
    nvml_.check(nvml_.api().device_get_count(&count), "nvmlDeviceGetCount");
    count_ = static_cast<int>(count);
  }

  std::string name() const override { return "nvml"; }
  int device_count() const override { return count_; }

  power::DeviceSettings settings(int gpu) const override {
    const nvmlDevice_t device = handle(gpu);
    const NvmlApi& api = nvml_.api();
    power::DeviceSettings s;
    s.index = gpu;
    char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
    check(api.device_get_uuid(device, text, sizeof text), "nvmlDeviceGetUUID", gpu);
    s.uuid = text;
    if (api.device_get_name(device, text, sizeof text) == NVML_SUCCESS) s.name = text;
    unsigned int value = 0;
    // The enforced limit can be lower than the configured one (another limiter); else the configured one.
    if (read(api.device_get_enforced_power_limit, device, &value) ||
        read(api.device_get_power_management_limit, device, &value)) {
      s.power_limit_w = value / 1000.0;
    }
    unsigned int max_mw = 0;
    if (api.device_get_power_management_limit_constraints &&
        accept(api.device_get_power_management_limit_constraints(device, &value, &max_mw),
               "nvmlDeviceGetPowerManagementLimitConstraints", gpu)) {
      s.power_limit_min_w = value / 1000.0;
      s.power_limit_max_w = max_mw / 1000.0;
    }
    if (read(api.device_get_power_management_default_limit, device, &value))
      s.power_limit_default_w = value / 1000.0;
    if (api.device_get_max_clock_info && accept(api.device_get_max_clock_info(device, NVML_CLOCK_SM, &value),
                                                "nvmlDeviceGetMaxClockInfo", gpu)) {
      s.sm_clock_max_mhz = value;
    }
    s.sm_clocks_mhz = supported_sm_clocks(device, gpu);
    return s;
  }

  void set_power_limit_w(int gpu, double limit_w) override {
    require(nvml_.api().device_set_power_management_limit, "nvmlDeviceSetPowerManagementLimit");
    const auto limit_mw = static_cast<unsigned int>(std::lround(limit_w * 1000.0));
    change(nvml_.api().device_set_power_management_limit(handle(gpu), limit_mw),
           "nvmlDeviceSetPowerManagementLimit", gpu, fmt::format("set the power limit to {:g} W", limit_w));
  }

  void lock_sm_clock_mhz(int gpu, double clock_mhz) override {
    require(nvml_.api().device_set_gpu_locked_clocks, "nvmlDeviceSetGpuLockedClocks");
    const auto mhz = static_cast<unsigned int>(std::lround(clock_mhz));
    change(nvml_.api().device_set_gpu_locked_clocks(handle(gpu), mhz, mhz), "nvmlDeviceSetGpuLockedClocks",
           gpu, fmt::format("lock the SM clock at {} MHz", mhz));
  }

  void reset_sm_clock(int gpu) override {
    require(nvml_.api().device_reset_gpu_locked_clocks, "nvmlDeviceResetGpuLockedClocks");
    change(nvml_.api().device_reset_gpu_locked_clocks(handle(gpu)), "nvmlDeviceResetGpuLockedClocks", gpu,
           "unlock the SM clock");
  }

 private:
  nvmlDevice_t handle(int gpu) const {
    if (gpu < 0 || gpu >= count_) {
      throw UsageError(
          fmt::format("GPU {}: no such GPU (NVML reports {} GPU{})", gpu, count_, count_ == 1 ? "" : "s"));
    }
    nvmlDevice_t device = nullptr;
    check(nvml_.api().device_get_handle_by_index(static_cast<unsigned int>(gpu), &device),
          "nvmlDeviceGetHandleByIndex", gpu);
    return device;
  }

  // Required readings: any failure throws, naming the GPU ("GPU 0: nvmlDeviceGetHandleByIndex: GPU is lost").
  void check(nvmlReturn_t code, const char* call, int gpu) const {
    if (code != NVML_SUCCESS) throw NvmlError(fmt::format("GPU {}: {}: {}", gpu, call, nvml_.describe(code)));
  }

  // A reading that may be absent: NOT_SUPPORTED and friends give false, other failures throw.
  bool accept(nvmlReturn_t code, const char* call, int gpu) const {
    const Outcome outcome = classify(code);
    if (outcome == Outcome::ok) return true;
    if (outcome == Outcome::absent) return false;
    throw NvmlError(fmt::format("GPU {}: {}: {}", gpu, call, nvml_.describe(code)));
  }

  template <typename Fn>
  bool read(Fn fn, nvmlDevice_t device, unsigned int* value) const {
    return fn != nullptr && classify(fn(device, value)) == Outcome::ok;
  }

  std::vector<double> supported_sm_clocks(nvmlDevice_t device, int gpu) const {
    const NvmlApi& api = nvml_.api();
    if (!api.device_get_supported_memory_clocks || !api.device_get_supported_graphics_clocks) return {};
    unsigned int memory[64] = {};
    unsigned int count = 64;
    if (!accept(api.device_get_supported_memory_clocks(device, &count, memory),
                "nvmlDeviceGetSupportedMemoryClocks", gpu) ||
        count == 0) {
      return {};
    }
    const unsigned int top_memory = *std::max_element(memory, memory + count);
    unsigned int clocks[512] = {};
    count = 512;
    if (!accept(api.device_get_supported_graphics_clocks(device, top_memory, &count, clocks),
                "nvmlDeviceGetSupportedGraphicsClocks", gpu)) {
      return {};
    }
    std::vector<double> out(clocks, clocks + count);
    std::sort(out.begin(), out.end(), std::greater<>());
    return out;
  }

  template <typename Fn>
  void require(Fn symbol, const char* name) const {
    if (symbol == nullptr) {
      throw NvmlError(
          fmt::format("{} lacks {} (NVIDIA driver too old to change this setting)", nvml_.path(), name));
    }
  }

  // Setters: privileges and support get messages that say what to do.
  void change(nvmlReturn_t code, const char* call, int gpu, const std::string& what) const {
    if (code == NVML_SUCCESS) return;
    if (code == NVML_ERROR_NO_PERMISSION) {
      throw NvmlError(
          fmt::format("GPU {}: cannot {}: permission denied (NVML_ERROR_NO_PERMISSION): changing GPU "
                      "settings needs root (or CAP_SYS_ADMIN); rerun with sudo, or use --dry-run",
                      gpu, what));
    }
    if (code == NVML_ERROR_NOT_SUPPORTED) {
      throw NvmlError(fmt::format(
          "GPU {}: cannot {}: this GPU does not support it (NVML_ERROR_NOT_SUPPORTED)", gpu, what));
    }
    throw NvmlError(fmt::format("GPU {}: cannot {}: {}: {}", gpu, what, call, nvml_.describe(code)));
  }

  NvmlLibrary nvml_;
  int count_ = 0;
};

}  // namespace
}  // namespace gpuopt

namespace gpuopt::power {

std::unique_ptr<DeviceControl> open_nvml_control(const std::string& library_path) {
  return std::make_unique<NvmlControl>(library_path);
}

}  // namespace gpuopt::power
