// Plain data exchanged between telemetry sources, the store and the server.
#pragma once

#include <optional>
#include <string>

#include "gpuopt/metric.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt {

// One GPU's readings at one instant.
struct Sample {
  int gpu = 0;          // position of the device in its source's devices() (not DeviceInfo::index,
                        // which can skip a GPU that could not be opened)
  EpochMs time_ms = 0;  // when it was read (UTC)
  MetricValues values;  // absent = not supported / not recorded
};

// What a source knows about one GPU. Static properties only; readings are Samples.
struct DeviceInfo {
  int index = 0;  // the GPU's index in its source (NVML / nvidia-smi index), as shown to people
  // Stable identity: the NVML/nvidia-smi UUID ("GPU-..."). Sources that have none make one
  // up that is stable across runs (e.g. "sim-0", "trace:<dir>/<file>:gpu1").
  std::string uuid;
  std::string name;        // "NVIDIA H100 80GB HBM3", "" if unknown
  std::string pci_bus_id;  // "00000000:3B:00.0", "" if unknown
  std::optional<double> mem_total_mib;
  std::optional<double> power_limit_default_w;
  std::optional<double> power_limit_min_w;
  std::optional<double> power_limit_max_w;
  std::optional<double> sm_clock_max_mhz;
  std::optional<double> mem_clock_max_mhz;
  std::optional<double> graphics_clock_max_mhz;
  bool simulated = false;  // true for the sim source: shown as "(simulated)" everywhere
};

// What a source is: shown by `gpuopt devices`, `--version`, /api/v1/devices and /metrics.
struct SourceInfo {
  std::string name;  // "nvml", "sim", "replay:/path/trace.csv"
  bool simulated = false;
  std::string driver_version;  // "" when the source has no driver
  std::string nvml_version;
  std::string cuda_driver_version;
};

}  // namespace gpuopt
