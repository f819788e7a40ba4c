// `gpuopt forecast eval --forecasts FILE`: every scored forecast as a CSV row, to see where and
// when a model misses (the figures only give its mean error).
#pragma once

#include <span>
#include <string>

#include "gpuopt/forecast/evaluation.hpp"

namespace gpuopt::cli {

// Columns: trace, gpu, time (ISO 8601 UTC of the forecast origin), model, channel, horizon_s,
// observed, forecast, persistence (in the channel's unit).
class ScoredForecastsCsv {
 public:
  ScoredForecastsCsv();
  // `f.window` must view a segment of one of `traces`.
  void add(std::span<const forecast::Trace> traces, const forecast::ScoredForecast& f);
  // Writes the rows to `path` atomically; Error naming the file when it cannot.
  void write(const std::string& path) const;

 private:
  std::string text_;
  // The segment of the last row's window, for a quick match of the next (windows come in order).
  const float* last_data_ = nullptr;
  const forecast::Trace* last_trace_ = nullptr;
  int last_gpu_ = 0;
  EpochMs last_start_ms_ = 0;
  std::chrono::milliseconds last_step_{0};
};

}  // namespace gpuopt::cli
