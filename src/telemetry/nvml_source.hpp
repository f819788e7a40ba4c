// The "nvml" telemetry source: the NVIDIA driver's NVML, loaded at run time. Users reach it
// through open_source("nvml", ...) / make_nvml_source(); probe_nvml() lives in the same file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpuopt/telemetry.hpp"
#include "nvml_library.hpp"

namespace gpuopt {

// Reads every GPU NVML reports. Device handles, names and limits are resolved once at start;
// read() makes ~12 NVML calls per GPU and allocates only the returned vector (and an error
// line when something fails). Not thread-safe (one thread reads, as TelemetrySource says).
//
// Return codes per call:
// - NOT_SUPPORTED, FUNCTION_NOT_FOUND, NO_DATA or a missing optional symbol: metric absent
//   (the first two are remembered, the query is not made again);
// - GPU_IS_LOST, RESET_REQUIRED: that GPU is left out of the round and named in last_errors();
// - UNINITIALIZED, NO_PERMISSION, DRIVER_NOT_LOADED, ...: read() throws NvmlError;
// - any other failure: metric absent this round, plus a line in last_errors().
// A reading no GPU can produce (utilization over 100 %, 0xFFFFFFFF sentinels, over 200 C, 10 kW
// or 20 GHz) is absent too, with a line in last_errors() naming the GPU and the metric.
// GPUs that cannot be opened at start are left out of devices() (the others keep their NVML
// index in DeviceInfo::index) and named in last_errors() after every read. Sample::gpu is the
// position in devices(), so it differs from the NVML index after such a GPU.
class NvmlSource final : public TelemetrySource {
 public:
  // Loads and initializes NVML (see NvmlLibrary for which file); throws NvmlError.
  explicit NvmlSource(const SourceOptions& options);

  const SourceInfo& info() const override { return info_; }
  const std::vector<DeviceInfo>& devices() const override { return devices_; }
  std::vector<Sample> read(EpochMs now) override;
  std::vector<std::string> last_errors() const override { return errors_; }

 private:
  // Per-read NVML queries; the index of a bit in Gpu::unsupported.
  enum Query : unsigned {
    kUtilization,
    kMemory,
    kTemperature,
    kPower,
    kPowerLimit,
    kSmClock,
    kMemClock,
    kGraphicsClock,
    kClocksEventReasons,
    kEnergy,
    kPerformanceState,
    kFanSpeed,
    kQueryCount
  };

  struct Gpu {
    nvml::nvmlDevice_t handle = nullptr;
    int index = 0;
    std::string label;              // "GPU 1 (GPU-8f2c...)", the prefix of its error lines
    std::uint32_t unsupported = 0;  // bit q: Query q answered NOT_SUPPORTED / FUNCTION_NOT_FOUND
  };

  void open_gpu(unsigned int index);
  DeviceInfo describe_gpu(Gpu& gpu);
  MetricValues read_gpu(Gpu& gpu);
  // Clears the readings over their bound (kBounds), with a line each in errors_.
  void drop_impossible(const Gpu& gpu, MetricValues& values);

  // Calls fn(gpu.handle, args...) when the symbol exists; true when it succeeded.
  template <typename Fn, typename... Args>
  bool call(Gpu& gpu, const char* name, Fn fn, Args... args);
  // As call() for a per-read query, skipping queries the GPU does not support.
  template <typename Fn, typename... Args>
  bool sample(Gpu& gpu, Query query, Fn fn, Args... args);
  // Applies the return-code policy above; true on success.
  bool accept(const Gpu& gpu, nvml::nvmlReturn_t code, const char* call);
  // Like accept(), but any failure makes the GPU unusable.
  void require(const Gpu& gpu, nvml::nvmlReturn_t code, const char* call);
  // "GPU 1 (GPU-...): <call>: <what the code means>"; a lost GPU is named without the call.
  std::string error_line(const Gpu& gpu, nvml::nvmlReturn_t code, const char* call) const;

  nvml::NvmlLibrary nvml_;
  SourceInfo info_;
  std::vector<Gpu> gpus_;
  std::vector<DeviceInfo> devices_;
  std::vector<std::string> startup_errors_;
  std::vector<std::string> errors_;
};

}  // namespace gpuopt
