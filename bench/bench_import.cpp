// Import throughput: gpuopt's nvidia-smi CSV reader + store (`gpuopt import`'s work) against the
// sqlite3 shell's `.import --csv` of the same file into a fresh database, measured in the same run.
// Each side starts from a fresh file and is timed until its database is closed; the sides
// alternate and the best of 7 runs of each is reported.
//
// Usage: bench_import [FILE [GPUS]]   (default: the largest CSV under $GPUOPT_DATA_DIR/telemetry,
// GPUOPT_DATA_DIR defaulting to ../shared/data; GPUS: 8 for h100-gpt350m-train, 2 for
// titanx-gpt-train, else 1, as in docs/import.md)
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/nvidia_smi_csv.hpp"
#include "gpuopt/store.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kRepetitions = 7;

fs::path largest_trace(const fs::path& telemetry_dir) {
  fs::path best;
  std::uintmax_t best_size = 0;
  for (const auto& entry : fs::recursive_directory_iterator(telemetry_dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    if (entry.file_size() > best_size) {
      best = entry.path();
      best_size = entry.file_size();
    }
  }
  return best;
}

int interleaved_gpus(const fs::path& trace) {
  const std::string folder = trace.parent_path().filename().string();
  if (folder == "h100-gpt350m-train") return 8;
  if (folder == "titanx-gpt-train") return 2;
  return 1;
}

// Data rows as the sqlite3 shell sees them: non-empty lines after the header.
std::size_t data_lines(const fs::path& trace) {
  std::ifstream in(trace);
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    if (!line.empty()) ++lines;
  }
  return lines > 0 ? lines - 1 : 0;
}

double seconds_of(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double best_of(const std::function<void()>& work) {
  double best = 1e300;
  for (int i = 0; i < kRepetitions; ++i) {
    best = std::min(best, seconds_of(work));
  }
  return best;
}

void remove_database(const fs::path& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix);
}

std::size_t gpuopt_import(const fs::path& trace, int gpus, const fs::path& db) {
  gpuopt::Store store = gpuopt::Store::open(db.string());
  std::vector<gpuopt::DeviceId> ids;
  gpuopt::CsvReadOptions options;
  options.gpus = gpus;
  options.on_devices = [&](std::span<const gpuopt::DeviceInfo> devices) {
    ids = store.register_devices(devices, "import:" + trace.string());
  };
  const auto result = gpuopt::read_nvidia_smi_csv(
      trace.string(), options, [&](std::span<const gpuopt::Sample> batch) { store.append(ids, batch); });
  return result.rows_read;
}

std::size_t parse_only(const fs::path& trace, int gpus) {
  gpuopt::CsvReadOptions options;
  options.gpus = gpus;
  return gpuopt::read_nvidia_smi_csv(trace.string(), options, [](std::span<const gpuopt::Sample>) {})
      .rows_read;
}

// Runs `sqlite3 DB ".import --csv TRACE samples"`; false if it could not run or failed.
bool sqlite3_import(const fs::path& trace, const fs::path& db) {
  const std::string db_arg = db.string();
  const std::string command = fmt::format(".import --csv '{}' samples", trace.string());
  std::vector<char*> argv{const_cast<char*>("sqlite3"), const_cast<char*>(db_arg.c_str()),
                          const_cast<char*>(command.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "sqlite3", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_dir = std::getenv("GPUOPT_DATA_DIR");
  const fs::path data_dir = env_dir && *env_dir ? fs::path(env_dir) : fs::path("../shared/data");
  const fs::path trace = argc > 1 ? fs::path(argv[1]) : largest_trace(data_dir / "telemetry");
  if (trace.empty() || !fs::exists(trace)) {
    fmt::print(stderr, "bench_import: no trace found (set GPUOPT_DATA_DIR or pass a CSV file)\n");
    return 1;
  }
  const int gpus = argc > 2 ? std::atoi(argv[2]) : interleaved_gpus(trace);
  const fs::path work = fs::temp_directory_path() / fmt::format("gpuopt-bench-import-{}", getpid());
  fs::create_directories(work);
  const fs::path gpuopt_db = work / "gpuopt.db";
  const fs::path sqlite_db = work / "sqlite3.db";

  std::size_t rows = 0;
  const double parse_s = best_of([&] { rows = parse_only(trace, gpus); });
  // The two sides alternate, so that a burst of load on this shared machine hits both alike.
  double gpuopt_s = 1e300;
  double sqlite_s = 1e300;
  bool sqlite_ok = true;
  for (int i = 0; i < kRepetitions; ++i) {
    remove_database(gpuopt_db);
    gpuopt_s = std::min(gpuopt_s, seconds_of([&] { rows = gpuopt_import(trace, gpus, gpuopt_db); }));
    remove_database(sqlite_db);
    sqlite_s =
        std::min(sqlite_s, seconds_of([&] { sqlite_ok = sqlite3_import(trace, sqlite_db) && sqlite_ok; }));
  }
  const std::size_t sqlite_rows = data_lines(trace);
  fs::remove_all(work);
  if (!sqlite_ok) {
    fmt::print(stderr, "bench_import: the sqlite3 shell failed or is not installed\n");
    return 1;
  }

  const double gpuopt_rate = static_cast<double>(rows) / gpuopt_s;
  const double sqlite_rate = static_cast<double>(sqlite_rows) / sqlite_s;
  fmt::print("trace: {} ({:.1f} MB, {} GPUs)\n", trace.string(),
             static_cast<double>(fs::file_size(trace)) / 1e6, gpus);
  fmt::print("parse only (no store):   {:>9} rows in {:7.1f} ms = {:>10.0f} rows/s\n", rows, parse_s * 1e3,
             static_cast<double>(rows) / parse_s);
  fmt::print("gpuopt import + store:   {:>9} rows in {:7.1f} ms = {:>10.0f} rows/s\n", rows, gpuopt_s * 1e3,
             gpuopt_rate);
  fmt::print("sqlite3 .import --csv:   {:>9} rows in {:7.1f} ms = {:>10.0f} rows/s\n", sqlite_rows,
             sqlite_s * 1e3, sqlite_rate);
  fmt::print("ratio gpuopt / sqlite3:  {:.2f}x (goal: >= 1.00x)\n", gpuopt_rate / sqlite_rate);
  return 0;
}
