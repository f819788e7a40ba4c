// Helpers shared by the CLI's subcommands (not part of the library's public API).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt::cli {

struct GlobalOptions {
  std::string db_path;       // --db; "" = default_db_path()
  std::string nvml_library;  // --nvml-lib; "" = $GPUOPT_NVML_LIBRARY, then the driver's
  bool quiet = false;        // --quiet: no progress bars or notices
};

// $GPUOPT_DB, else $XDG_DATA_HOME/gpuopt/gpuopt.db, else ~/.local/share/gpuopt/gpuopt.db
// (the last two folders are created on demand by resolve_db_path).
std::string default_db_path();

// The --db value or the default. The default's folder is created; a folder named by --db or
// $GPUOPT_DB must exist (StoreError otherwise), so a mistyped path leaves nothing behind.
std::string resolve_db_path(const GlobalOptions& global);

// The telemetry-source options shared by devices, collect and serve.
struct SourceArgs {
  std::string spec = "auto";
  int gpus = 0;
  double speed = 1.0;
  bool loop = false;
  std::uint64_t seed = 1;
};

// Adds -s/--source, --gpus, --speed, --loop and --seed to a subcommand.
void add_source_options(CLI::App& cmd, SourceArgs& args);

// Opens the source; prints the one-line notice of "auto" falling back to the simulator (unless
// --quiet). Throws UsageError for a bad --speed or spec.
std::unique_ptr<TelemetrySource> open_cli_source(const SourceArgs& args, const GlobalOptions& global);

// parse(text) whose UsageError names the option ("--limit: invalid power '25Q': ...").
template <typename Parse>
auto parse_option(std::string_view option, const std::string& text, Parse&& parse) {
  try {
    return parse(text);
  } catch (const UsageError& e) {
    throw UsageError(std::string(option) + ": " + e.what());
  }
}

// parse_time_arg(text, now) whose UsageError names the option ("--from: invalid time ...").
EpochMs time_option(std::string_view option, const std::string& text, EpochMs now);

// A duration option that must be at least 1 ms; errors name the option ("--interval 0ms: ...").
std::chrono::milliseconds positive_duration(std::string_view option, const std::string& text);

// Installs SIGINT/SIGTERM handlers (once) and returns the flag they set.
const std::atomic<bool>& stop_flag();

// A one-line progress bar on stderr, drawn only when stderr is a terminal and not --quiet.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total, bool quiet);
  ~ProgressBar();
  void update(std::uint64_t done);
  void finish();

 private:
  void draw(bool final);
  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::int64_t last_draw_ms_ = 0;
};

}  // namespace gpuopt::cli
