#include "sim_source.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "sources.hpp"

namespace gpuopt {
namespace {

constexpr int kMaxGpus = 64;
// Integration step: short enough to follow the workload's segments (>= 0.2 s, so a step may
// blur the shortest ones) and the thermal time constant.
constexpr double kMaxStepS = 1.0;
// A long gap between reads is integrated in at most this many steps, so one read stays cheap.
constexpr int kMaxStepsPerRead = 3600;
// Half-width of the uniform noise added to a running kernel's utilization.
constexpr double kUtilJitter = 0.03;

DeviceInfo sim_device(int index, const sim::GpuParams& p) {
  DeviceInfo d;
  d.index = index;
  d.uuid = fmt::format("sim-{}", index);
  d.name = fmt::format("Simulated {} (gpuopt sim)", p.type_name);
  d.mem_total_mib = p.mem_total_mib;
  d.power_limit_default_w = p.power_limit_default_w;
  d.power_limit_min_w = p.power_limit_min_w;
  d.power_limit_max_w = p.power_limit_max_w;
  d.sm_clock_max_mhz = p.sm_clock_max_mhz;
  d.mem_clock_max_mhz = p.mem_clock_mhz;
  d.graphics_clock_max_mhz = p.sm_clock_max_mhz;
  d.simulated = true;
  return d;
}

}  // namespace

SimSource::SimSource(const SourceOptions& options) {
  if (options.gpus < 0 || options.gpus > kMaxGpus) {
    throw UsageError(fmt::format("--gpus {}: the simulator takes 1..{} GPUs", options.gpus, kMaxGpus));
  }
  const int count = std::max(options.gpus, 1);
  info_.name = "sim";
  info_.simulated = true;
  const sim::GpuParams& params = sim::a100_sxm4_40gb();
  const std::uint64_t base_seed = sim::mix_seed(options.seed);
  for (int i = 0; i < count; ++i) {
    const auto stream = 2 * static_cast<std::uint64_t>(i);
    devices_.push_back(sim_device(i, params));
    gpus_.push_back(Gpu{sim::GpuModel(params), sim::Workload(base_seed + stream, params),
                        sim::Random(base_seed + stream + 1)});
  }
}

void SimSource::advance_gpu(Gpu& gpu, double from_s, double to_s) {
  const double span_s = std::max(to_s - from_s, 0.0);
  const int steps = std::clamp(static_cast<int>(std::ceil(span_s / kMaxStepS)), 1, kMaxStepsPerRead);
  const double step_s = span_s / steps;
  for (int i = 1; i <= steps; ++i) {
    sim::Demand demand = gpu.workload.at(from_s + step_s * i);
    if (demand.util > 0) {
      const double util = std::clamp(demand.util + gpu.noise.uniform(-kUtilJitter, kUtilJitter), 0.0, 1.0);
      demand.mem_util *= util / demand.util;
      demand.util = util;
    }
    gpu.model.advance(demand, step_s);
  }
}

std::vector<Sample> SimSource::read(EpochMs now) {
  if (!start_ms_) {
    start_ms_ = now;
    last_ms_ = now;
  }
  const double from_s = static_cast<double>(last_ms_ - *start_ms_) / 1000.0;
  const double to_s = static_cast<double>(std::max(now, last_ms_) - *start_ms_) / 1000.0;
  last_ms_ = std::max(now, last_ms_);

  std::vector<Sample> samples;
  samples.reserve(gpus_.size());
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    advance_gpu(gpus_[i], from_s, to_s);
    samples.push_back(
        Sample{.gpu = static_cast<int>(i), .time_ms = now, .values = gpus_[i].model.readings()});
  }
  return samples;
}

std::size_t SimSource::checked_index(int gpu) const {
  if (gpu < 0 || gpu >= static_cast<int>(gpus_.size())) {
    throw UsageError(
        fmt::format("GPU {} does not exist (the simulator has GPUs 0..{})", gpu, gpus_.size() - 1));
  }
  return static_cast<std::size_t>(gpu);
}

void SimSource::set_power_limit_w(int gpu, double limit_w) {
  gpus_[checked_index(gpu)].model.set_power_limit_w(limit_w);
}

double SimSource::power_limit_w(int gpu) const { return gpus_[checked_index(gpu)].model.power_limit_w(); }

std::unique_ptr<TelemetrySource> make_sim_source(const SourceOptions& options) {
  return std::make_unique<SimSource>(options);
}

}  // namespace gpuopt
