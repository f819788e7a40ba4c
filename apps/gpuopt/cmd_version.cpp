#include <fmt/format.h>

#include "commands.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/version.hpp"

namespace gpuopt::cli {

void print_version(const GlobalOptions& global) {
  fmt::print("gpuopt {}\n", version());
  fmt::print("sources:  nvml (run-time loaded), sim, replay\n");
  fmt::print("store:    sqlite\n");
  fmt::print("server:   http, prometheus /metrics\n");
  const NvmlProbe nvml = probe_nvml(global.nvml_library);
  fmt::print("nvml:     {}\n", nvml.available ? nvml.message : "not available: " + nvml.message);
}

}  // namespace gpuopt::cli
