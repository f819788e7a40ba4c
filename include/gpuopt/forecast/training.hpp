// Choosing forecast origins in traces, training a forecaster and calibrating its intervals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

struct WindowSelection {
  std::size_t stride = 1;       // one origin every `stride` steps
  std::size_t max_windows = 0;  // 0 = all; else a seeded random subset of this size
  std::uint64_t seed = 1;
  // Only origins in [from, to) of each segment (fractions of its length), with every horizon's
  // target before `to` as well: a time split of each segment.
  double from_fraction = 0;
  double to_fraction = 1;
};

// Origins with at least fine_steps of input and every horizon's target inside the segment.
// Each window's `source` is the index of its trace in `traces`.
// The windows point into `traces`, which must outlive them.
std::vector<WindowRef> select_windows(std::span<const Trace> traces, const ForecastSpec& spec,
                                      const WindowSelection& selection);

// The share of each segment kept for calibration (its end): the model never trains on it.
inline constexpr double kCalibrationFraction = 0.15;

// Builds `name`, fits it on the first 85 % of every segment and calibrates its intervals on the
// last 15 %. Throws UsageError for an unknown name, Error when no segment is long enough.
std::unique_ptr<Forecaster> train_forecaster(std::string_view name, std::span<const Trace> traces,
                                             const ForecastSpec& spec, const TrainOptions& options,
                                             std::size_t max_windows = 60000);

// Sets `model`'s interval half-widths from its errors on `windows` (Calibration::level quantile).
void calibrate(Forecaster& model, std::span<const WindowRef> windows);

}  // namespace gpuopt::forecast
