// Store write rate and resampled-query latency on one day of 10 Hz telemetry from 8 GPUs
// (6.9M samples). Goal: "one GPU / all 8 GPUs, one metric, whole day at 1 min" < 100 ms,
// read from the 1-minute roll-ups; the same query forced onto raw samples (59 s step) is
// the baseline. Usage: bench_query [HOURS] (default 24).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"

namespace {

using namespace gpuopt;
using namespace std::chrono_literals;

constexpr int kGpus = 8;
constexpr EpochMs kPeriodMs = 100;           // 10 Hz
constexpr EpochMs kBatchMs = 60'000;         // one append per minute of data, as an importer would
constexpr EpochMs kStartMs = 1753574400000;  // 2025-07-27T00:00:00Z
constexpr double kGoalMs = 100;

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

// Plausible H100 readings: a training load with a slow cycle plus noise-like wiggle.
Sample make_sample(int gpu, EpochMs t, double& energy_mj) {
  const double phase = static_cast<double>(t - kStartMs) / 1000.0 / 90.0 + gpu;
  const double load = 0.5 + 0.45 * std::sin(phase) * std::cos(phase / 7.0);
  const double power_w =
      std::round((120 + 560 * load + 3 * std::sin(static_cast<double>(t) * 0.37)) * 100) / 100;
  energy_mj += power_w * kPeriodMs;
  Sample s;
  s.gpu = gpu;
  s.time_ms = t;
  auto& v = s.values;
  v.set(Metric::gpu_util_pct, std::round(100 * load));
  v.set(Metric::mem_util_pct, std::round(60 * load));
  v.set(Metric::mem_used_mib, 20'000 + std::round(50'000 * load));
  v.set(Metric::mem_free_mib, 81'559 - 20'000 - std::round(50'000 * load));
  v.set(Metric::mem_total_mib, 81'559);
  v.set(Metric::temperature_c, std::round(35 + 40 * load));
  v.set(Metric::power_w, power_w);
  v.set(Metric::power_limit_w, 700);
  v.set(Metric::sm_clock_mhz, 1980 - std::round(300 * load));
  v.set(Metric::mem_clock_mhz, 2619);
  v.set(Metric::graphics_clock_mhz, 1980 - std::round(300 * load));
  v.set(Metric::energy_mj, std::round(energy_mj));
  v.set(Metric::pstate, 0);
  v.set(Metric::throttle_reasons, load > 0.9 ? 4 : 0);
  return s;
}

struct WriteResult {
  std::vector<DeviceId> ids;
  std::size_t samples = 0;
  double append_ms = 0;
};

WriteResult write_store(const std::string& path, int hours) {
  auto store = Store::open(path);
  std::vector<DeviceInfo> devices(kGpus);
  for (int i = 0; i < kGpus; ++i) {
    devices[i].index = i;
    devices[i].uuid = fmt::format("GPU-bench-{:02}", i);
    devices[i].name = "NVIDIA H100 80GB HBM3";
  }
  WriteResult result;
  result.ids = store.register_devices(devices, "bench");
  std::vector<double> energy_mj(kGpus, 0);
  std::vector<Sample> batch;
  const EpochMs end_ms = kStartMs + hours * 3'600'000LL;
  for (EpochMs batch_start = kStartMs; batch_start < end_ms; batch_start += kBatchMs) {
    batch.clear();
    for (EpochMs t = batch_start; t < batch_start + kBatchMs; t += kPeriodMs) {
      for (int gpu = 0; gpu < kGpus; ++gpu) batch.push_back(make_sample(gpu, t, energy_mj[gpu]));
    }
    const auto started = std::chrono::steady_clock::now();
    store.append(result.ids, batch);
    result.append_ms += elapsed_ms(started);
    result.samples += batch.size();
  }
  return result;
}

struct Timing {
  double first_ms = 0;
  double median_ms = 0;
};

Timing time_it(const std::function<void()>& run, int repeats = 7) {
  std::vector<double> runs;
  for (int i = 0; i < repeats; ++i) {
    const auto started = std::chrono::steady_clock::now();
    run();
    runs.push_back(elapsed_ms(started));
  }
  const double first = runs.front();
  std::sort(runs.begin(), runs.end());
  return {first, runs[runs.size() / 2]};
}

void report(const std::string& what, const Timing& t, const char* verdict = "") {
  fmt::print("  {:<52} median {:8.2f} ms  (first {:8.2f} ms) {}\n", what, t.median_ms, t.first_ms, verdict);
}

const char* verdict(const Timing& t) {
  return t.median_ms < kGoalMs ? "PASS (< 100 ms)" : "FAIL (>= 100 ms)";
}

int run(int hours) {
  const auto path =
      (std::filesystem::temp_directory_path() / fmt::format("gpuopt_bench_query_{}.db", getpid())).string();
  const auto cleanup = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  };
  cleanup();
  fmt::print("bench_query: {} h of 10 Hz samples from {} GPUs into {}\n", hours, kGpus, path);
  const auto started = std::chrono::steady_clock::now();
  const WriteResult written = write_store(path, hours);
  const double total_ms = elapsed_ms(started);
  fmt::print(
      "  wrote {} samples: append {:.1f} s = {:.0f} samples/s ({:.1f} s with generation); file {:.0f} MiB\n",
      written.samples, written.append_ms / 1000,
      static_cast<double>(written.samples) / (written.append_ms / 1000), total_ms / 1000,
      static_cast<double>(std::filesystem::file_size(path)) / 1048576.0);

  const auto store = Store::open(path, Store::Mode::read_only);
  const EpochMs end_ms = kStartMs + hours * 3'600'000LL;
  std::size_t points = 0;
  const auto one_gpu = [&](std::chrono::milliseconds step) {
    return [&, step] {
      points = store.query({written.ids[0], Metric::power_w, kStartMs, end_ms, step}).size();
    };
  };
  const auto all_gpus = [&](std::chrono::milliseconds step) {
    return [&, step] {
      points = 0;
      for (const DeviceId id : written.ids)
        points += store.query({id, Metric::power_w, kStartMs, end_ms, step}).size();
    };
  };
  fmt::print("queries (power_w, whole range, mean):\n");
  const Timing rollup_one = time_it(one_gpu(60s));
  report(fmt::format("1 GPU at 1 min (roll-ups, {} points)", points), rollup_one, verdict(rollup_one));
  const Timing rollup_all = time_it(all_gpus(60s));
  report(fmt::format("8 GPUs at 1 min (roll-ups, {} points)", points), rollup_all, verdict(rollup_all));
  const Timing raw_one = time_it(one_gpu(59s), 3);
  report(fmt::format("1 GPU at 59 s (raw GROUP BY, {} points)", points), raw_one);
  const Timing raw_all = time_it(all_gpus(59s), 1);
  report(fmt::format("8 GPUs at 59 s (raw GROUP BY, {} points)", points), raw_all);
  fmt::print("  roll-up speed-up over raw: {:.0f}x (1 GPU), {:.0f}x (8 GPUs)\n",
             raw_one.median_ms / rollup_one.median_ms, raw_all.median_ms / rollup_all.median_ms);
  const Timing listing = time_it([&] { points = store.devices().size(); }, 3);
  report("devices() with sample counts and ranges", listing);
  cleanup();
  return rollup_one.median_ms < kGoalMs && rollup_all.median_ms < kGoalMs ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int hours = argc > 1 ? std::stoi(argv[1]) : 24;
    if (hours <= 0) throw gpuopt::UsageError("HOURS must be positive");
    return run(hours);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_query: %s\n", e.what());
    return 2;
  }
}
