// CPU cost of sampling: the NVML source's read() against the fake libnvidia-ml with 1 and 8
// GPUs, next to a baseline of the same NVML calls made directly (what any NVML client pays).
// Goal: < 20 µs of CPU per GPU per sample, i.e. < 0.2 % of one core for 8 GPUs at 10 Hz.
// The "per_gpu" counter is CPU seconds per GPU per sample (printed as e.g. "2.1u" = 2.1 µs).
#include <benchmark/benchmark.h>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fake_control.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/time.hpp"
#include "nvml_api.hpp"

namespace {

using namespace gpuopt::nvml;

constexpr double kGoalUsPerGpu = 20.0;
constexpr int kGoalGpus = 8;
constexpr double kGoalRateHz = 10.0;

// GPUs that report every metric, so every read makes all its NVML calls.
std::string fake_config(int gpus) {
  std::string devices;
  for (int i = 0; i < gpus; ++i) {
    devices +=
        fmt::format(R"({}{{"energy_step_mj": 25000, "utilization_gpu": {}}})", i == 0 ? "" : ",", 50 + i);
  }
  return R"({"devices": [)" + devices + "]}";
}

void set_per_gpu_counter(benchmark::State& state, int gpus) {
  state.counters["per_gpu"] =
      benchmark::Counter(gpus, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_NvmlSourceRead(benchmark::State& state) {
  const int gpus = static_cast<int>(state.range(0));
  const fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(fake_config(gpus));
  gpuopt::SourceOptions options;
  options.nvml_library = FAKE_NVML_PATH;
  const auto source = gpuopt::open_source("nvml", options);
  const gpuopt::EpochMs now = gpuopt::now_ms();
  for (auto _ : state) {
    std::vector<gpuopt::Sample> samples = source->read(now);
    benchmark::DoNotOptimize(samples.data());
  }
  set_per_gpu_counter(state, gpus);
}
BENCHMARK(BM_NvmlSourceRead)->Arg(1)->Arg(kGoalGpus)->Unit(benchmark::kMicrosecond);

// The calls read() makes per GPU, straight into the fake: the floor any NVML client pays.
void BM_DirectNvmlCalls(benchmark::State& state) {
  const int gpus = static_cast<int>(state.range(0));
  const fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(fake_config(gpus));
  fake.symbol<nvmlInit_fn>("nvmlInit_v2")();
  const auto by_index = fake.symbol<nvmlDeviceGetHandleByIndex_fn>("nvmlDeviceGetHandleByIndex_v2");
  const auto util = fake.symbol<nvmlDeviceGetUtilizationRates_fn>("nvmlDeviceGetUtilizationRates");
  const auto memory = fake.symbol<nvmlDeviceGetMemoryInfo_fn>("nvmlDeviceGetMemoryInfo");
  const auto temperature = fake.symbol<nvmlDeviceGetTemperature_fn>("nvmlDeviceGetTemperature");
  const auto power = fake.symbol<nvmlDeviceGetPowerUsage_fn>("nvmlDeviceGetPowerUsage");
  const auto limit = fake.symbol<nvmlDeviceGetEnforcedPowerLimit_fn>("nvmlDeviceGetEnforcedPowerLimit");
  const auto clock = fake.symbol<nvmlDeviceGetClockInfo_fn>("nvmlDeviceGetClockInfo");
  const auto reasons =
      fake.symbol<nvmlDeviceGetCurrentClocksEventReasons_fn>("nvmlDeviceGetCurrentClocksEventReasons");
  const auto energy =
      fake.symbol<nvmlDeviceGetTotalEnergyConsumption_fn>("nvmlDeviceGetTotalEnergyConsumption");
  const auto pstate = fake.symbol<nvmlDeviceGetPerformanceState_fn>("nvmlDeviceGetPerformanceState");
  const auto fan = fake.symbol<nvmlDeviceGetFanSpeed_fn>("nvmlDeviceGetFanSpeed");
  std::vector<nvmlDevice_t> handles(static_cast<std::size_t>(gpus));
  for (int i = 0; i < gpus; ++i)
    by_index(static_cast<unsigned int>(i), &handles[static_cast<std::size_t>(i)]);
  for (auto _ : state) {
    for (nvmlDevice_t handle : handles) {
      nvmlUtilization_t u{};
      nvmlMemory_t m{};
      unsigned int value = 0;
      unsigned long long counter = 0;
      nvmlPstates_t p = NVML_PSTATE_UNKNOWN;
      util(handle, &u);
      memory(handle, &m);
      temperature(handle, NVML_TEMPERATURE_GPU, &value);
      power(handle, &value);
      limit(handle, &value);
      clock(handle, NVML_CLOCK_SM, &value);
      clock(handle, NVML_CLOCK_MEM, &value);
      clock(handle, NVML_CLOCK_GRAPHICS, &value);
      reasons(handle, &counter);
      energy(handle, &counter);
      pstate(handle, &p);
      fan(handle, &value);
      benchmark::DoNotOptimize(u);
      benchmark::DoNotOptimize(m);
      benchmark::DoNotOptimize(counter);
    }
  }
  fake.symbol<nvmlShutdown_fn>("nvmlShutdown")();
  set_per_gpu_counter(state, gpus);
}
BENCHMARK(BM_DirectNvmlCalls)->Arg(kGoalGpus)->Unit(benchmark::kMicrosecond);

// Prints the usual table, then keeps the per-GPU figures of the 8-GPU runs for the verdict.
class GoalReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    const std::string suffix = fmt::format("/{}", kGoalGpus);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const std::string name = run.benchmark_name();
      const auto counter = run.counters.find("per_gpu");
      if (counter == run.counters.end() || !name.ends_with(suffix)) continue;
      const double us = counter->second.value * 1e6;
      if (name.starts_with("BM_NvmlSourceRead")) source_us_ = us;
      if (name.starts_with("BM_DirectNvmlCalls")) direct_us_ = us;
    }
  }

  void print_verdict() const {
    if (!source_us_) {
      fmt::print("goal not measured: run BM_NvmlSourceRead/{}\n", kGoalGpus);
      return;
    }
    const double core_pct = *source_us_ * kGoalGpus * kGoalRateHz / 1e6 * 100.0;
    fmt::print("\nnvml read(), {} GPUs: {:.3f} us CPU per GPU per sample", kGoalGpus, *source_us_);
    if (direct_us_)
      fmt::print(" ({:.2f}x the {:.3f} us of the bare NVML calls)", *source_us_ / *direct_us_, *direct_us_);
    fmt::print("\ngoal < {:.0f} us per GPU per sample: {} ({} GPUs at {:.0f} Hz = {:.3f} % of one core)\n",
               kGoalUsPerGpu, *source_us_ < kGoalUsPerGpu ? "MET" : "NOT MET", kGoalGpus, kGoalRateHz,
               core_pct);
  }

 private:
  std::optional<double> source_us_;
  std::optional<double> direct_us_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  GoalReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_verdict();
  benchmark::Shutdown();
  return 0;
}
