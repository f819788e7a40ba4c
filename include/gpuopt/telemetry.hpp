// Telemetry sources: where samples come from. Three implementations, chosen by a spec
// string: "nvml" (the NVIDIA driver, loaded at run time), "sim[:N]" (a simulated GPU model,
// labelled as such) and "replay:FILE" (a recorded nvidia-smi CSV trace). "auto" picks nvml
// when a driver is present, else sim, and says which in one line.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpuopt/sample.hpp"

namespace gpuopt {

// A source of GPU readings. Not thread-safe: one thread reads a source.
class TelemetrySource {
 public:
  virtual ~TelemetrySource() = default;

  virtual const SourceInfo& info() const = 0;

  // The GPUs of this source, index order. Stable for the source's lifetime. Sample::gpu is a
  // position in this list.
  virtual const std::vector<DeviceInfo>& devices() const = 0;

  // One sample per GPU as of wall-clock time `now`. Metrics a GPU cannot report are absent.
  // A GPU that cannot be read this time (lost, transient error) is left out of the result
  // and reported through `last_errors()`. Throws NvmlError only when the whole source fails.
  virtual std::vector<Sample> read(EpochMs now) = 0;

  // Per-GPU problems of the last read(), one line each ("GPU 1: GPU is lost"). Empty if none.
  virtual std::vector<std::string> last_errors() const { return {}; }

  // True once a finite source (replay without looping) has nothing more to give.
  virtual bool finished() const { return false; }
};

struct SourceOptions {
  std::string nvml_library;   // path of libnvidia-ml; "" = $GPUOPT_NVML_LIBRARY, then the defaults
  int gpus = 0;               // replay: GPUs interleaved in a trace without an index column
                              // (0 = detect from its timestamps); sim: number of GPUs (0 = 1)
  double replay_speed = 1.0;  // replay: trace seconds per wall-clock second
  bool replay_loop = false;   // replay: start over at the end instead of finishing
  std::uint64_t seed = 1;     // sim: load pattern and noise
};

// Opens a source by spec ("nvml", "sim", "sim:4", "replay:FILE", "auto").
// Throws UsageError for an unknown spec (listing the valid ones) and NvmlError / ParseError
// when the chosen source cannot start. With "auto", `notice` receives the one-line reason
// when it falls back to the simulator; a library named in options.nvml_library that cannot be
// loaded is an NvmlError instead (no silent fallback).
std::unique_ptr<TelemetrySource> open_source(const std::string& spec, const SourceOptions& options,
                                             std::string* notice = nullptr);

// Whether NVML can be loaded and initialized here, for `gpuopt --version` and "auto".
struct NvmlProbe {
  bool available = false;
  std::string library;         // the file that was loaded, when found
  std::string driver_version;  // when available
  std::string message;         // one line: "NVML 12.535 (driver 535.104)" or why not
};
NvmlProbe probe_nvml(const std::string& library_override = "");

}  // namespace gpuopt
