#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gpuopt/error.hpp"
#include "gpuopt/nvidia_smi_csv.hpp"
#include "sources.hpp"

namespace gpuopt {
namespace {

struct Reading {
  EpochMs time_ms = 0;  // trace time
  MetricValues values;
};

// Plays a recorded trace back against the wall clock: the trace position advances by
// replay_speed trace-milliseconds per wall-clock millisecond from the first read() on.
class ReplaySource final : public TelemetrySource {
 public:
  ReplaySource(const std::string& path, const SourceOptions& options);

  const SourceInfo& info() const override { return info_; }
  const std::vector<DeviceInfo>& devices() const override { return devices_; }
  std::vector<Sample> read(EpochMs now) override;
  bool finished() const override { return finished_; }

 private:
  void load(const std::string& path, int gpus);
  EpochMs trace_position(EpochMs now);

  SourceInfo info_;
  std::vector<DeviceInfo> devices_;
  std::vector<std::vector<Reading>> readings_;  // per GPU, oldest first
  EpochMs first_ms_ = 0;
  EpochMs start_ms_ = 0;  // where playback begins: once every GPU has its first reading
  EpochMs last_ms_ = 0;
  EpochMs loop_length_ms_ = 1;  // trace span plus one sampling period, so a loop repeats evenly
  double speed_ = 1.0;
  bool loop_ = false;
  std::optional<EpochMs> start_wall_ms_;
  bool finished_ = false;
};

ReplaySource::ReplaySource(const std::string& path, const SourceOptions& options)
    : speed_(options.replay_speed), loop_(options.replay_loop) {
  if (!(speed_ > 0) || !std::isfinite(speed_)) {
    throw UsageError(fmt::format("invalid replay speed {}: must be a positive number", speed_));
  }
  info_.name = "replay:" + path;
  load(path, options.gpus);
}

void ReplaySource::load(const std::string& path, int gpus) {
  CsvReadOptions csv;
  csv.gpus = gpus;
  const CsvReadResult result = read_nvidia_smi_csv(path, csv, [this](std::span<const Sample> batch) {
    for (const Sample& s : batch) {
      const auto gpu = static_cast<std::size_t>(s.gpu);
      if (gpu >= readings_.size()) readings_.resize(gpu + 1);
      readings_[gpu].push_back({s.time_ms, s.values});
    }
  });
  if (result.rows_read == 0) throw ParseError(path, 0, "", "no usable rows: nothing to replay");
  if (result.issue_count > 0) {
    spdlog::warn("replay {}: {} rows skipped, {} issues (first: {})", path, result.rows_skipped,
                 result.issue_count, result.issues.front().to_string());
  }
  devices_ = result.devices;
  readings_.resize(devices_.size());
  first_ms_ = std::numeric_limits<EpochMs>::max();
  last_ms_ = std::numeric_limits<EpochMs>::min();
  start_ms_ = std::numeric_limits<EpochMs>::min();
  std::size_t longest = 0;
  for (auto& gpu : readings_) {
    const auto by_time = [](const Reading& a, const Reading& b) { return a.time_ms < b.time_ms; };
    if (!std::is_sorted(gpu.begin(), gpu.end(), by_time)) std::stable_sort(gpu.begin(), gpu.end(), by_time);
    if (gpu.empty()) continue;
    first_ms_ = std::min(first_ms_, gpu.front().time_ms);
    start_ms_ = std::max(start_ms_, gpu.front().time_ms);
    last_ms_ = std::max(last_ms_, gpu.back().time_ms);
    longest = std::max(longest, gpu.size());
  }
  const EpochMs span_ms = last_ms_ - first_ms_;
  const EpochMs period_ms = longest > 1 ? span_ms / static_cast<EpochMs>(longest - 1) : 1000;
  loop_length_ms_ = std::max<EpochMs>(span_ms + period_ms, 1);
}

EpochMs ReplaySource::trace_position(EpochMs now) {
  if (!start_wall_ms_) start_wall_ms_ = now;
  const double elapsed_ms = std::max<double>(0.0, static_cast<double>(now - *start_wall_ms_)) * speed_;
  const EpochMs offset_ms = (start_ms_ - first_ms_) + static_cast<EpochMs>(std::floor(elapsed_ms));
  if (loop_) return first_ms_ + offset_ms % loop_length_ms_;
  if (first_ms_ + offset_ms >= last_ms_) finished_ = true;
  return first_ms_ + offset_ms;
}

std::vector<Sample> ReplaySource::read(EpochMs now) {
  const EpochMs position = trace_position(now);
  std::vector<Sample> out;
  out.reserve(readings_.size());
  for (std::size_t gpu = 0; gpu < readings_.size(); ++gpu) {
    const auto& gpu_readings = readings_[gpu];
    const auto after = std::upper_bound(gpu_readings.begin(), gpu_readings.end(), position,
                                        [](EpochMs t, const Reading& r) { return t < r.time_ms; });
    if (after == gpu_readings.begin()) continue;  // this GPU's trace starts later
    out.push_back({static_cast<int>(gpu), now, std::prev(after)->values});
  }
  return out;
}

}  // namespace

std::unique_ptr<TelemetrySource> make_replay_source(const std::string& path, const SourceOptions& options) {
  return std::make_unique<ReplaySource>(path, options);
}

}  // namespace gpuopt
