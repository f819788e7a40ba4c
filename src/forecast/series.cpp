#include "gpuopt/forecast/series.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

ChannelValues channel_values(const MetricValues& values) {
  ChannelValues out;
  for (const ChannelInfo& info : all_channels()) {
    const auto v = values.get(info.metric);
    out[index_of(info.channel)] = v ? static_cast<float>(*v) : kNaN;
  }
  return out;
}

}  // namespace

bool Segment::has(Channel c) const {
  for (const float v : values[index_of(c)]) {
    if (!std::isnan(v)) return true;
  }
  return false;
}

std::string longest_segment(std::span<const Trace> traces) {
  std::chrono::milliseconds longest{0};
  std::string where;
  for (const Trace& trace : traces) {
    for (const GpuSeries& gpu : trace.gpus) {
      for (const Segment& segment : gpu.segments) {
        const auto length = segment.step * static_cast<std::int64_t>(segment.size());
        if (length <= longest) continue;
        longest = length;
        where = fmt::format("GPU {} of {}", gpu.device.index, trace.file);
      }
    }
  }
  if (where.empty()) return "none (no samples)";
  return fmt::format("{:.1f} s ({})", std::chrono::duration<double>(longest).count(), where);
}

std::size_t GpuSeries::steps() const {
  std::size_t n = 0;
  for (const Segment& s : segments) n += s.size();
  return n;
}

GridBuilder::GridBuilder(const ResampleOptions& options, std::string file)
    : options_(options), file_(std::move(file)) {
  if (options.step.count() <= 0) throw UsageError("the resampling step must be positive");
  if (options.max_gap < options.step) throw UsageError("the maximum gap must be at least one step");
}

void GridBuilder::add(const Sample& s, const Emit& emit) {
  const EpochMs step_ms = options_.step.count();
  if (started_ && s.time_ms < last_ms_) {
    throw ParseError(file_, 0, "timestamp",
                     fmt::format("GPU {} goes back in time at {} (previous sample {})", s.gpu,
                                 format_iso8601(s.time_ms), format_iso8601(last_ms_)));
  }
  if (!started_ || s.time_ms - last_ms_ > options_.max_gap.count()) {
    new_segment_ = true;
    next_ms_ = (s.time_ms + step_ms - 1) / step_ms * step_ms;  // the first grid time not before it
  }
  // Grid times before this sample held the previous sample's values.
  for (; next_ms_ < s.time_ms; next_ms_ += step_ms) {
    emit(new_segment_, next_ms_, held_);
    new_segment_ = false;
  }
  started_ = true;
  held_ = channel_values(s.values);
  last_ms_ = s.time_ms;
  if (next_ms_ == s.time_ms) {
    emit(new_segment_, next_ms_, held_);
    new_segment_ = false;
    next_ms_ += step_ms;
  }
}

void GridBuilder::emit_next(const Emit& emit) {
  // Only a sample between grid times has a step still pending; one on the grid was emitted by add().
  if (!started_ || next_ms_ - last_ms_ >= options_.step.count()) return;
  emit(new_segment_, next_ms_, held_);
  new_segment_ = false;
  next_ms_ += options_.step.count();
}

std::vector<Segment> resample(std::span<const Sample> samples, const ResampleOptions& options,
                              const std::string& file) {
  std::vector<Segment> segments;
  GridBuilder grid(options, file);
  const auto emit = [&](bool new_segment, EpochMs time_ms, const ChannelValues& v) {
    if (new_segment) segments.push_back(Segment{time_ms, options.step, {}});
    for (std::size_t c = 0; c < kChannelCount; ++c) segments.back().values[c].push_back(v[c]);
  };
  for (const Sample& s : samples) grid.add(s, emit);
  std::erase_if(segments, [](const Segment& s) { return s.size() < 2; });
  return segments;
}

}  // namespace gpuopt::forecast
