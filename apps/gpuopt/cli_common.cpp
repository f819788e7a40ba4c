#include "cli_common.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int /*signal*/) { g_stop.store(true); }

}  // namespace

std::string default_db_path() {
  if (const char* env = std::getenv("GPUOPT_DB"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return (std::filesystem::path(xdg) / "gpuopt" / "gpuopt.db").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (std::filesystem::path(home) / ".local" / "share" / "gpuopt" / "gpuopt.db").string();
  }
  return "gpuopt.db";
}

std::string resolve_db_path(const GlobalOptions& global) {
  std::string path = global.db_path.empty() ? default_db_path() : global.db_path;
  // Other non-files (a FIFO, a device, a symlink loop) are refused by Store::open.
  std::error_code status_error;
  if (std::filesystem::status(path, status_error).type() == std::filesystem::file_type::directory) {
    throw StoreError(fmt::format("{}: is a directory; the store is a file (e.g. {}/gpuopt.db)", path, path));
  }
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return path;
  const char* env = std::getenv("GPUOPT_DB");
  const bool user_chosen = !global.db_path.empty() || (env && *env);
  if (user_chosen) {
    // A mistyped --db must not leave a tree of new folders behind; only the default location is made.
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec))
      throw StoreError(fmt::format("{}: folder {} does not exist (create it first, or check the path)", path,
                                   parent.string()));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      throw StoreError(
          fmt::format("{}: cannot create directory {}: {}", path, parent.string(), ec.message()));
  }
  return path;
}

void add_source_options(CLI::App& cmd, SourceArgs& args) {
  cmd.add_option(
         "-s,--source", args.spec,
         "Where readings come from: nvml (the NVIDIA driver), sim[:N] (N simulated A100 GPUs, labelled "
         "simulated), replay:FILE (an nvidia-smi CSV trace), auto (nvml when a driver is present, "
         "else sim)")
      ->capture_default_str();
  cmd.add_option("--gpus", args.gpus,
                 "sim: number of simulated GPUs (0 = 1); replay: GPUs interleaved in a trace without an "
                 "index column (0 = detect from its timestamps)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd.add_option("--speed", args.speed, "replay: trace seconds per wall-clock second")->capture_default_str();
  cmd.add_flag("--loop", args.loop, "replay: start over at the end of the trace instead of stopping");
  cmd.add_option("--seed", args.seed, "sim: seed of the simulated workload and noise")->capture_default_str();
}

std::unique_ptr<TelemetrySource> open_cli_source(const SourceArgs& args, const GlobalOptions& global) {
  // Past 10^6 a day of trace replays in a tenth of a second; larger factors overflow the clock.
  if (!(args.speed > 0) || args.speed > 1e6)
    throw UsageError(fmt::format("--speed {}: must be in (0, 1e6]", args.speed));
  SourceOptions options;
  options.nvml_library = global.nvml_library;
  options.gpus = args.gpus;
  options.replay_speed = args.speed;
  options.replay_loop = args.loop;
  options.seed = args.seed;
  std::string notice;
  auto source = open_source(args.spec, options, &notice);
  if (!notice.empty() && !global.quiet) std::fprintf(stderr, "gpuopt: %s\n", notice.c_str());
  return source;
}

EpochMs time_option(std::string_view option, const std::string& text, EpochMs now) {
  return parse_option(option, text, [now](const std::string& t) { return parse_time_arg(t, now); });
}

std::chrono::milliseconds positive_duration(std::string_view option, const std::string& text) {
  const std::chrono::milliseconds d =
      parse_option(option, text, [](const std::string& t) { return parse_duration(t); });
  if (d.count() < 1) throw UsageError(fmt::format("{} {}: must be at least 1ms", option, text));
  return d;
}

const std::atomic<bool>& stop_flag() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
  return g_stop;
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total, bool quiet)
    : label_(std::move(label)), total_(total), enabled_(!quiet && isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::uint64_t done) {
  done_ = done;
  const auto now = now_ms();
  if (now - last_draw_ms_ < 100) return;
  last_draw_ms_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  done_ = total_;
  draw(true);
}

void ProgressBar::draw(bool final) {
  if (!enabled_) return;
  constexpr int kWidth = 30;
  const double fraction = total_ == 0 ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s [%s%s] %3d%%", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), static_cast<int>(fraction * 100));
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace gpuopt::cli
