#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

struct ServeArgs {
  SourceArgs source;
  std::string listen = "127.0.0.1:9400";
  std::string interval = "1s";
  bool no_store = false;
  std::string retention_raw = "7d";
  std::string memory_model;
  std::string forecast_model;
  bool no_forecast = false;
  std::string power_mode = "advisory";
  double power_eta = 0.5;
  std::string power_max_slowdown;
};

ServeOptions serve_options(const ServeArgs& args, const GlobalOptions& global) {
  ServeOptions options;
  const HostPort address = parse_host_port(args.listen);
  options.host = address.host;
  options.port = address.port;
  options.sampler.interval = positive_duration("--interval", args.interval);
  options.retention.raw = positive_duration("--retention-raw", args.retention_raw);
  if (!args.no_store) options.store_path = resolve_db_path(global);
  options.memory_model_file = args.memory_model;
  options.forecast.enabled = !args.no_forecast;
  options.forecast.model_file = args.forecast_model;
  using PowerMode = PowerServeOptions::Mode;
  options.power.mode = args.power_mode == "off"       ? PowerMode::off
                       : args.power_mode == "control" ? PowerMode::control
                                                      : PowerMode::advisory;
  options.power.eta = args.power_eta;
  options.power.max_slowdown = args.power_max_slowdown;
  options.power.nvml_library = global.nvml_library;
  return options;
}

void run(const ServeArgs& args, const GlobalOptions& global) {
  const ServeOptions options = serve_options(args, global);
  const auto source = open_cli_source(args.source, global);
  const SourceInfo& info = source->info();
  const std::size_t gpus = source->devices().size();
  run_serve(*source, options, stop_flag(), [&](const std::string& url) {
    fmt::print("gpuopt serve: listening on {} (source {}{}, {} GPU{}, {})\n", url, info.name,
               info.simulated ? " (simulated)" : "", gpus, gpus == 1 ? "" : "s",
               options.store_path.empty() ? "no store" : "store " + options.store_path);
    std::fflush(stdout);
  });
}

}  // namespace

void register_serve(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the agent: sample GPUs, store the readings and serve them over HTTP (Prometheus /metrics "
      "with dcgm-exporter names, JSON API under /api/v1, /healthz) until stopped (Ctrl-C)");
  cmd->fallthrough();  // global options (--db, --quiet, --nvml-lib) may follow the subcommand
  cmd->footer(
      "\nEndpoints: /metrics, /api/v1/devices, /api/v1/samples, /healthz, / (see docs/serve.md).\n\n"
      "Examples:\n"
      "  gpuopt serve                                   # 127.0.0.1:9400, the driver's GPUs or the simulated "
      "one\n"
      "  gpuopt serve --listen 0.0.0.0:9400             # reachable by a Prometheus on another host\n"
      "  gpuopt serve --source replay:trace.csv --loop  # a recorded trace, forever\n");
  cmd->add_option(
         "-l,--listen", args->listen,
         "Address to serve on, HOST:PORT (a bare :PORT means 127.0.0.1; 0.0.0.0 exposes it to the network)")
      ->capture_default_str();
  add_source_options(*cmd, args->source);
  cmd->add_option("-i,--interval", args->interval, "Sampling period, e.g. 100ms, 1s")->capture_default_str();
  cmd->add_flag("--no-store", args->no_store,
                "Keep only the latest readings in memory (no store; /api/v1/samples answers 404)");
  cmd->add_option("--retention-raw", args->retention_raw,
                  "Delete raw samples older than this (checked at start and hourly; 1-minute roll-ups stay)")
      ->capture_default_str();
  cmd->add_option("--memory-model", args->memory_model,
                  "Memory model file for POST /api/v1/memory/predict (default: the one shipped with gpuopt)")
      ->type_name("FILE");
  cmd->add_option(
         "--forecast-model", args->forecast_model,
         "Forecaster for /api/v1/forecast, gpuopt_forecast_* and anomaly events (default: the shipped one)")
      ->type_name("FILE");
  cmd->add_flag("--no-forecast", args->no_forecast, "Do not forecast or look for anomalies");
  cmd->add_option(
         "--power-mode", args->power_mode,
         "Power optimizer: off, advisory (recommend via /api/v1/power and /metrics) or control (apply its "
         "recommendations through NVML or to the simulated GPUs; restored when the agent stops)")
      ->check(CLI::IsMember({"off", "advisory", "control"}))
      ->capture_default_str();
  cmd->add_option("--power-eta", args->power_eta,
                  "Power optimizer: Zeus cost weight of energy vs time, in [0, 1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--power-max-slowdown", args->power_max_slowdown,
                  "Power optimizer: minimise energy with at most this slowdown instead (e.g. 5%)");
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace gpuopt::cli
