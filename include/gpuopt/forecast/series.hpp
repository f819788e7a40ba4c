// GPU telemetry on a fixed time grid, the forecaster's input. Raw samples (irregular, possibly
// with gaps) are resampled by sample-and-hold: the value at grid time t is the latest sample at
// or before t. A gap longer than `max_gap` between two samples ends a segment; the next sample
// starts a new one (nothing is interpolated across a gap).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/forecast/channels.hpp"
#include "gpuopt/sample.hpp"

namespace gpuopt::forecast {

// One channel's values per grid step; NaN = the channel was absent at that step.
using ChannelSeries = std::array<std::vector<float>, kChannelCount>;

// A gap-free stretch of one GPU's telemetry. values[c][k] is the value at start_ms + k * step.
struct Segment {
  EpochMs start_ms = 0;
  std::chrono::milliseconds step{100};
  ChannelSeries values;
  std::size_t size() const { return values[0].size(); }
  bool has(Channel c) const;  // the channel has a value at some step
};

struct ResampleOptions {
  std::chrono::milliseconds step{100};
  // A longer silence between samples splits the segment. nvidia-smi often stalls 2-9 s while a job
  // writes a checkpoint; holding the last sample through such stalls keeps the segments long.
  std::chrono::milliseconds max_gap{10000};
};

// Incremental sample-and-hold of one GPU's samples onto the grid (used by resample() and by the
// online forecaster). Each grid step is emitted once it is known, i.e. when a later sample shows
// which sample was the latest at that time.
class GridBuilder {
 public:
  // `emit(new_segment, time_ms, values)`: new_segment is true for the first step after a gap.
  using Emit = std::function<void(bool new_segment, EpochMs time_ms, const ChannelValues& values)>;
  // Throws UsageError when step <= 0 or max_gap < step.
  GridBuilder(const ResampleOptions& options, std::string file);
  // Throws ParseError(file, 0, "timestamp", ...) when the sample is older than the previous one.
  void add(const Sample& sample, const Emit& emit);
  // Emits the grid step right after the latest sample (when it fell between grid times) with its
  // values at once, instead of waiting for a later sample to confirm them. For online use, where
  // samples come at most once a step.
  void emit_next(const Emit& emit);

 private:
  ResampleOptions options_;
  std::string file_;
  bool started_ = false;
  bool new_segment_ = true;
  EpochMs last_ms_ = 0;
  EpochMs next_ms_ = 0;  // the next grid time to emit
  ChannelValues held_{};
};

// Resamples one GPU's samples (in time order) onto the grid. Segments shorter than two steps are
// dropped. Throws ParseError(file, 0, "timestamp", ...) naming the time where the samples go back
// in time; UsageError when step <= 0 or max_gap < step.
std::vector<Segment> resample(std::span<const Sample> samples, const ResampleOptions& options,
                              const std::string& file);

// One GPU of a trace file.
struct GpuSeries {
  DeviceInfo device;
  std::vector<Segment> segments;
  std::size_t steps() const;  // over all segments
};

// One trace file (the unit of leave-one-trace-out): all its GPUs.
struct Trace {
  std::string file;
  std::vector<GpuSeries> gpus;
};

// The longest segment of the traces, for errors about traces too short to use:
// "12.3 s (GPU 3 of ckpt1.csv)", or "none (no samples)".
std::string longest_segment(std::span<const Trace> traces);

}  // namespace gpuopt::forecast
