// The simulated GPU source ("sim"): GPUs that follow the documented model of docs/sim-model.md,
// each driven by its own seeded workload. Labelled simulated in its SourceInfo and DeviceInfo.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "gpuopt/telemetry.hpp"
#include "sim_model.hpp"
#include "sim_random.hpp"
#include "sim_workload.hpp"

namespace gpuopt {

// The same seed and the same sequence of read() times give the same samples. Not thread-safe.
class SimSource final : public TelemetrySource {
 public:
  // options.gpus GPUs (0 = 1); throws UsageError outside 0..64.
  explicit SimSource(const SourceOptions& options);

  const SourceInfo& info() const override { return info_; }
  const std::vector<DeviceInfo>& devices() const override { return devices_; }

  // Advances every GPU from the previous read's time to `now` (the first read starts the
  // clock; a `now` earlier than the previous one advances nothing) and returns their readings.
  std::vector<Sample> read(EpochMs now) override;

  // What the control layer sets on a real GPU; takes effect at the next read(). Throws
  // UsageError for an unknown GPU index or a limit outside the device's [min, max].
  void set_power_limit_w(int gpu, double limit_w);
  double power_limit_w(int gpu) const;

 private:
  struct Gpu {
    sim::GpuModel model;
    sim::Workload workload;
    sim::Random noise;
  };

  // Integrates one GPU over [from_s, to_s] of schedule time.
  static void advance_gpu(Gpu& gpu, double from_s, double to_s);
  // Throws UsageError for an index that is not one of ours.
  std::size_t checked_index(int gpu) const;

  SourceInfo info_;
  std::vector<DeviceInfo> devices_;
  std::vector<Gpu> gpus_;
  std::optional<EpochMs> start_ms_;
  EpochMs last_ms_ = 0;
};

}  // namespace gpuopt
