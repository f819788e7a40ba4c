// `gpuopt devices`: what the source sees, with one current reading per GPU.
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/throttle.hpp"

namespace gpuopt::cli {
namespace {

struct DevicesOptions {
  SourceArgs source;
  bool json = false;
};

std::string or_na(const std::optional<double>& v, std::string_view unit) {
  return v ? fmt::format("{:g} {}", *v, unit) : "N/A";
}

std::string reading_line(const Sample& s) {
  using enum Metric;
  const auto& v = s.values;
  std::string line = fmt::format("power {} (limit {}), util {}, mem {} / {}, temp {}, sm {}, mem clock {}",
                                 or_na(v.get(power_w), "W"), or_na(v.get(power_limit_w), "W"),
                                 or_na(v.get(gpu_util_pct), "%"), or_na(v.get(mem_used_mib), "MiB"),
                                 or_na(v.get(mem_total_mib), "MiB"), or_na(v.get(temperature_c), "C"),
                                 or_na(v.get(sm_clock_mhz), "MHz"), or_na(v.get(mem_clock_mhz), "MHz"));
  if (const auto p = v.get(pstate)) line += fmt::format(", P{:g}", *p);
  if (const auto t = v.get(throttle_reasons)) {
    line += ", throttle " + format_throttle_reasons(static_cast<std::uint64_t>(*t));
  }
  return line;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json device_json(const DeviceInfo& d, const Sample* reading) {
  nlohmann::json j{{"index", d.index},
                   {"uuid", d.uuid},
                   {"name", d.name},
                   {"pci_bus_id", d.pci_bus_id},
                   {"simulated", d.simulated},
                   {"mem_total_mib", optional_json(d.mem_total_mib)},
                   {"power_limit_default_w", optional_json(d.power_limit_default_w)},
                   {"power_limit_min_w", optional_json(d.power_limit_min_w)},
                   {"power_limit_max_w", optional_json(d.power_limit_max_w)},
                   {"sm_clock_max_mhz", optional_json(d.sm_clock_max_mhz)},
                   {"mem_clock_max_mhz", optional_json(d.mem_clock_max_mhz)},
                   {"graphics_clock_max_mhz", optional_json(d.graphics_clock_max_mhz)}};
  nlohmann::json now = nlohmann::json::object();
  if (reading) {
    for (const auto& m : all_metrics()) {
      if (const auto v = reading->values.get(m.metric)) now[std::string(m.column)] = *v;
    }
    if (const auto t = reading->values.get(Metric::throttle_reasons)) {
      now["throttle_reasons_decoded"] = decode_throttle_reasons(static_cast<std::uint64_t>(*t));
    }
  }
  j["reading"] = now;
  return j;
}

void run_devices(const DevicesOptions& opt, const GlobalOptions& global) {
  const auto source = open_cli_source(opt.source, global);
  const std::vector<Sample> readings = source->read(now_ms());
  // A sample names its device by position in devices(), not by DeviceInfo::index.
  const auto reading_of = [&](const DeviceInfo& d) -> const Sample* {
    const auto position = static_cast<int>(&d - source->devices().data());
    for (const auto& s : readings) {
      if (s.gpu == position) return &s;
    }
    return nullptr;
  };
  const SourceInfo& info = source->info();
  if (opt.json) {
    nlohmann::json out{{"source", info.name},
                       {"simulated", info.simulated},
                       {"driver_version", info.driver_version},
                       {"nvml_version", info.nvml_version},
                       {"cuda_driver_version", info.cuda_driver_version},
                       {"devices", nlohmann::json::array()},
                       {"errors", source->last_errors()}};
    for (const auto& d : source->devices()) out["devices"].push_back(device_json(d, reading_of(d)));
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("source: {}{}", info.name, info.simulated ? " (simulated)" : "");
  if (!info.driver_version.empty()) fmt::print(", driver {}", info.driver_version);
  if (!info.nvml_version.empty()) fmt::print(", NVML {}", info.nvml_version);
  if (!info.cuda_driver_version.empty()) fmt::print(", CUDA {}", info.cuda_driver_version);
  fmt::print("\n");
  if (source->devices().empty()) fmt::print("no GPUs\n");
  for (const auto& d : source->devices()) {
    fmt::print("GPU {}: {}\n", d.index, d.name.empty() ? "unknown GPU" : d.name);
    fmt::print("  uuid {}{}\n", d.uuid, d.pci_bus_id.empty() ? "" : ", pci " + d.pci_bus_id);
    fmt::print("  memory {}, power limit {} (min {}, max {}), max clocks sm {} mem {}\n",
               or_na(d.mem_total_mib, "MiB"), or_na(d.power_limit_default_w, "W"),
               or_na(d.power_limit_min_w, "W"), or_na(d.power_limit_max_w, "W"),
               or_na(d.sm_clock_max_mhz, "MHz"), or_na(d.mem_clock_max_mhz, "MHz"));
    if (const Sample* s = reading_of(d)) fmt::print("  now: {}\n", reading_line(*s));
  }
  for (const auto& e : source->last_errors()) std::fprintf(stderr, "gpuopt: warning: %s\n", e.c_str());
}

}  // namespace

void register_devices(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<DevicesOptions>();
  auto* cmd = app.add_subcommand("devices", "List the GPUs of a telemetry source with one current reading");
  cmd->fallthrough();  // global options (--db, --quiet, --nvml-lib) may follow the subcommand
  cmd->footer(
      "\nMetrics a GPU cannot report show as N/A (absent in --json), never as 0.\n\n"
      "Examples:\n"
      "  gpuopt devices                        # the driver's GPUs, or the simulated one without a driver\n"
      "  gpuopt devices --source sim:4 --json\n"
      "  gpuopt devices --source replay:trace.csv --gpus 8\n");
  add_source_options(*cmd, opt->source);
  cmd->add_flag("--json", opt->json, "Print JSON instead of text");
  cmd->callback([opt, &global] { run_devices(*opt, global); });
}

}  // namespace gpuopt::cli
