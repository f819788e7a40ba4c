// Helpers shared by the CLI's subcommands (not part of the library's public API).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gpuopt::cli {

struct GlobalOptions {
  std::string db_path;       // --db; "" = default_db_path()
  std::string nvml_library;  // --nvml-lib; "" = $GPUOPT_NVML_LIBRARY, then the driver's
  bool quiet = false;        // --quiet: no progress bars or notices
};

// $GPUOPT_DB, else $XDG_DATA_HOME/gpuopt/gpuopt.db, else ~/.local/share/gpuopt/gpuopt.db
// (its directory is created on demand by resolve_db_path).
std::string default_db_path();

// The --db value or the default, with the parent directory created.
std::string resolve_db_path(const GlobalOptions& global);

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
