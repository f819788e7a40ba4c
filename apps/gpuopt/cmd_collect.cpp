#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/sampler.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/store_sink.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

std::string gpu_count(std::size_t n) { return fmt::format("{} GPU{}", n, n == 1 ? "" : "s"); }

struct CollectArgs {
  SourceArgs source;
  std::string interval = "100ms";
  std::string duration;  // "" = until stopped
};

// Per-GPU errors on stderr (each distinct message once) and, on a terminal, a status line
// redrawn every second.
class ConsoleSink final : public SampleSink {
 public:
  explicit ConsoleSink(bool quiet) : status_enabled_(!quiet && isatty(STDERR_FILENO) != 0) {}

  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override {
    label_ = fmt::format("{} ({})", source.name, gpu_count(devices.size()));
    start_ms_ = now_ms();
  }
  void on_samples(std::span<const Sample> samples) override {
    ++rounds_;
    samples_ += samples.size();
    const EpochMs now = now_ms();
    if (status_enabled_ && now - last_draw_ms_ >= 1000) {
      last_draw_ms_ = now;
      fmt::print(stderr, "\r\033[Kcollecting from {}: {}, {} rounds, {} samples, {} errors", label_,
                 format_duration(std::chrono::milliseconds((now - start_ms_) / 1000 * 1000)), rounds_,
                 samples_, errors_);
      drawn_ = true;
    }
  }
  void on_error(const std::string& message) override {
    ++errors_;
    if (!seen_errors_.insert(message).second) return;
    end_status_line();
    fmt::print(stderr, "gpuopt: warning: {}\n", message);
  }
  // Ends the status line so that later output starts on a fresh line.
  void end_status_line() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  bool status_enabled_;
  bool drawn_ = false;
  std::string label_;
  EpochMs start_ms_ = 0;
  EpochMs last_draw_ms_ = 0;
  std::uint64_t rounds_ = 0;
  std::uint64_t samples_ = 0;
  std::uint64_t errors_ = 0;
  std::set<std::string> seen_errors_;
};

SamplerOptions sampler_options(const CollectArgs& args) {
  SamplerOptions options;
  options.interval = positive_duration("--interval", args.interval);
  if (!args.duration.empty()) options.duration = positive_duration("--duration", args.duration);
  return options;
}

void add_start_event(Store& store, const TelemetrySource& source, const SamplerOptions& options) {
  nlohmann::json details = {{"source", source.info().name},
                            {"simulated", source.info().simulated},
                            {"origin", live_origin(source.info())},
                            {"gpus", source.devices().size()},
                            {"interval_ms", options.interval.count()}};
  if (options.duration) details["duration_ms"] = options.duration->count();
  Event e;
  e.time_ms = now_ms();
  e.kind = "collect.start";
  e.severity = "info";
  e.message = fmt::format("collecting from {} ({}) every {}", source.info().name,
                          gpu_count(source.devices().size()), format_duration(options.interval));
  e.details_json = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

void add_stop_event(Store& store, const SamplerStats& stats) {
  Event e;
  e.time_ms = now_ms();
  e.kind = "collect.stop";
  e.severity = "info";
  e.message = fmt::format("stopped after {} rounds: {} samples, {} errors, {} overruns", stats.rounds,
                          stats.samples, stats.errors, stats.overruns);
  e.details_json = nlohmann::json{{"rounds", stats.rounds},
                                  {"samples", stats.samples},
                                  {"errors", stats.errors},
                                  {"overruns", stats.overruns},
                                  {"read_cpu_seconds", stats.read_cpu_seconds}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

void add_failure_event(Store& store, const std::string& reason, std::uint64_t samples_stored) {
  Event e;
  e.time_ms = now_ms();
  e.kind = "collect.stop";
  e.severity = "error";
  e.message = fmt::format("failed after storing {} samples: {}", samples_stored, reason);
  e.details_json = nlohmann::json{{"samples_stored", samples_stored}, {"error", reason}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

void print_summary(const SamplerStats& stats, std::uint64_t stored, const std::string& db_path) {
  const double cpu_us_per_sample =
      stats.samples == 0 ? 0.0 : stats.read_cpu_seconds * 1e6 / static_cast<double>(stats.samples);
  fmt::print(stderr,
             "gpuopt collect: {} rounds, {} samples ({} stored in {}), {} errors, {} overruns, "
             "{:.1f} us CPU per sample\n",
             stats.rounds, stats.samples, stored, db_path, stats.errors, stats.overruns, cpu_us_per_sample);
}

void run_collect(const CollectArgs& args, const GlobalOptions& global) {
  const SamplerOptions options = sampler_options(args);
  const auto source = open_cli_source(args.source, global);

  const std::string db_path = resolve_db_path(global);
  Store store = Store::open(db_path);
  StoreSink store_sink(store, StoreSink::kSamplerFlushWait);
  // A periodic flush that fails (another process holds the write lock, the disk is full) is
  // retried at the next one; the last flush below decides the run.
  TolerantSink tolerant_store(store_sink,
                              {.count = {},
                               .warn =
                                   [&](std::string_view, const Error& e) {
                                     if (!global.quiet)
                                       fmt::print(stderr,
                                                  "\ngpuopt: store: {} (sampling continues; retried at the "
                                                  "next flush)\n",
                                                  e.what());
                                   }},
                              /*tolerate_start=*/false);
  ConsoleSink console(global.quiet);
  const std::vector<SampleSink*> sinks{&tolerant_store, &console};

  add_start_event(store, *source, options);
  SamplerStats stats;
  try {
    stats = run_sampler(*source, sinks, options, stop_flag());
  } catch (const Error& e) {
    console.end_status_line();
    add_failure_event(store, e.what(), store_sink.samples_written());
    throw;
  }
  console.end_status_line();
  store_sink.set_flush_wait(Store::kDefaultBusyTimeout);
  try {
    store_sink.flush();  // what a lock kept buffered; a failure now is the run's
  } catch (const Error& e) {
    add_failure_event(store, e.what(), store_sink.samples_written());
    throw;
  }
  add_stop_event(store, stats);
  print_summary(stats, store_sink.samples_written(), db_path);
}

}  // namespace

void register_collect(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<CollectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "collect",
      "Sample GPU telemetry at a fixed rate into the store until stopped (Ctrl-C) or --duration ends");
  cmd->fallthrough();  // global options (--db, --quiet, --nvml-lib) may follow the subcommand
  cmd->footer(
      "\nSIGINT/SIGTERM (Ctrl-C) stop it after flushing everything collected; the run is recorded as\n"
      "collect.start / collect.stop events in the store.\n\n"
      "Examples:\n"
      "  gpuopt collect --interval 100ms --duration 10m\n"
      "  gpuopt --db run.db collect --source replay:ckpt1.csv --gpus 8 --speed 10\n");
  add_source_options(*cmd, args->source);
  cmd->add_option("-i,--interval", args->interval, "Sampling period, e.g. 100ms, 1s")->capture_default_str();
  cmd->add_option("-d,--duration", args->duration,
                  "Stop after this long, e.g. 30s, 10m (default: until stopped)");
  cmd->callback([args, &global] { run_collect(*args, global); });
}

}  // namespace gpuopt::cli
