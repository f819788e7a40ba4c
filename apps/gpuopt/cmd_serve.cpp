#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:9400";
  std::string source = "auto";
  std::string interval = "1s";
  bool no_store = false;
  std::string retention_raw = "7d";
  int gpus = 0;
  double speed = 1.0;
  bool loop = false;
};

std::chrono::milliseconds duration_option(const char* name, const std::string& text) {
  std::chrono::milliseconds d;
  try {
    d = parse_duration(text);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", name, e.what()));
  }
  if (d.count() < 1) throw UsageError(fmt::format("{} {}: must be at least 1ms", name, text));
  return d;
}

ServeOptions serve_options(const ServeArgs& args, const GlobalOptions& global) {
  ServeOptions options;
  const HostPort address = parse_host_port(args.listen);
  options.host = address.host;
  options.port = address.port;
  options.sampler.interval = duration_option("--interval", args.interval);
  options.retention.raw = duration_option("--retention-raw", args.retention_raw);
  if (!args.no_store) options.store_path = resolve_db_path(global);
  return options;
}

SourceOptions source_options(const ServeArgs& args, const GlobalOptions& global) {
  if (!(args.speed > 0)) throw UsageError(fmt::format("--speed {}: must be positive", args.speed));
  SourceOptions options;
  options.nvml_library = global.nvml_library;
  options.gpus = args.gpus;
  options.replay_speed = args.speed;
  options.replay_loop = args.loop;
  return options;
}

void run(const ServeArgs& args, const GlobalOptions& global) {
  const ServeOptions options = serve_options(args, global);
  std::string notice;
  const auto source = open_source(args.source, source_options(args, global), &notice);
  if (!notice.empty() && !global.quiet) fmt::print(stderr, "gpuopt: {}\n", notice);
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
  cmd->add_option(
         "-l,--listen", args->listen,
         "Address to serve on, HOST:PORT (a bare :PORT means 127.0.0.1; 0.0.0.0 exposes it to the network)")
      ->capture_default_str();
  cmd->add_option("-s,--source", args->source,
                  "Where readings come from: nvml (the NVIDIA driver), sim[:N] (N simulated GPUs, labelled "
                  "simulated), "
                  "replay:FILE (an nvidia-smi CSV trace), auto (nvml when a driver is present, else sim)")
      ->capture_default_str();
  cmd->add_option("-i,--interval", args->interval, "Sampling period, e.g. 100ms, 1s")->capture_default_str();
  cmd->add_flag("--no-store", args->no_store,
                "Keep only the latest readings in memory (no store; /api/v1/samples answers 404)");
  cmd->add_option("--retention-raw", args->retention_raw,
                  "Delete raw samples older than this (checked at start and hourly; 1-minute roll-ups stay)")
      ->capture_default_str();
  cmd->add_option(
         "--gpus", args->gpus,
         "sim: number of simulated GPUs (0 = 1); replay: GPUs interleaved in a trace without an index column")
      ->capture_default_str();
  cmd->add_option("--speed", args->speed, "replay: trace seconds per wall-clock second")
      ->capture_default_str();
  cmd->add_flag("--loop", args->loop, "replay: start over at the end of the trace instead of stopping");
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace gpuopt::cli
