#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"
#include "sources.hpp"

namespace gpuopt {
namespace {

constexpr const char* kValidSpecs = "nvml, sim, sim:N, replay:FILE, auto";

int parse_sim_count(const std::string& spec) {
  const std::string count = spec.substr(4);
  try {
    std::size_t used = 0;
    const int n = std::stoi(count, &used);
    if (used == count.size() && n >= 1 && n <= 64) return n;
  } catch (const std::exception&) {
  }
  throw UsageError(fmt::format("invalid source '{}': sim:N takes 1..64 GPUs", spec));
}

}  // namespace

std::unique_ptr<TelemetrySource> open_source(const std::string& spec, const SourceOptions& options,
                                             std::string* notice) {
  if (spec == "nvml") return make_nvml_source(options);
  if (spec == "sim") return make_sim_source(options);
  if (spec.starts_with("sim:")) {
    SourceOptions sim = options;
    sim.gpus = parse_sim_count(spec);
    return make_sim_source(sim);
  }
  if (spec.starts_with("replay:")) {
    const std::string path = spec.substr(7);
    if (path.empty()) throw UsageError("invalid source 'replay:': name a trace file, e.g. replay:trace.csv");
    return make_replay_source(path, options);
  }
  if (spec == "auto") {
    const NvmlProbe probe = probe_nvml(options.nvml_library);
    if (probe.available) return make_nvml_source(options);
    // A library named on purpose that does not load is a mistake to report, not "no driver".
    if (!options.nvml_library.empty()) throw NvmlError(probe.message);
    if (notice) {
      *notice = fmt::format("no NVIDIA driver ({}); using the simulated GPU (--source sim)", probe.message);
    }
    return make_sim_source(options);
  }
  throw UsageError(fmt::format("unknown source '{}' (valid: {})", spec, kValidSpecs));
}

}  // namespace gpuopt
