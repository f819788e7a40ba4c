// Constructors of the three telemetry sources (internal; users go through open_source()).
#pragma once

#include <memory>
#include <string>

#include "gpuopt/telemetry.hpp"

namespace gpuopt {

// NVML through the run-time loaded driver library (nvml_source.cpp). Throws NvmlError with
// one clear line when the library is missing or nvmlInit fails.
std::unique_ptr<TelemetrySource> make_nvml_source(const SourceOptions& options);

// The documented simulated GPU model (sim_source.cpp); options.gpus GPUs (0 = 1).
std::unique_ptr<TelemetrySource> make_sim_source(const SourceOptions& options);

// A recorded nvidia-smi CSV trace played back at options.replay_speed (replay_source.cpp).
// Throws ParseError when the file cannot be read as a trace.
std::unique_ptr<TelemetrySource> make_replay_source(const std::string& path, const SourceOptions& options);

}  // namespace gpuopt
