// Internal: the level a channel holds while its phase lasts -- what the phase forecast predicts
// until the phase is due to end, and everywhere when no phases are found.
//
// A single sample is a noisy forecast of a flat channel; a median lags one that ramps. Of the
// candidates -- the last value, the median of the last horizon / 5, the median of the last
// horizon and, for a periodic channel, the seasonal median -- the holding level is the one that
// forecast this horizon best (least absolute error) from the origins of the last minute, each
// scored on values already observed at the window's end. Medians read at most kHoldingSamples
// values, evenly spaced, so that the cost of a forecast does not grow with the horizon.
//
// The seasonal median is the median of the values 1, 2, ... periods (at most kSeasonalPeriods)
// before the target that are already observed. The period is the lag between 1 and 30 s with the
// greatest autocorrelation of the last 60 s, when that is at least 0.3: LLM inference repeats its
// power bursts every few seconds (docs/forecast.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <span>

#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast {

inline constexpr std::size_t kHoldingSamples = 16;        // per median
inline constexpr std::size_t kHoldingOrigins = 60;        // scored origins ...
inline constexpr std::chrono::seconds kHoldingStride{1};  // ... this far apart
inline constexpr std::size_t kSeasonalPeriods = 5;        // values per seasonal median

// `seconds` in grid steps of `step`, rounded to the nearest.
std::size_t steps_of(double seconds, std::chrono::milliseconds step);

// Median of the values of the `steps` steps ending at `t` (at most kHoldingSamples, evenly spaced;
// NaNs skipped); NaN when none.
float median_before(std::span<const float> series, std::size_t t, std::size_t steps);

// The period of channel `c` at w.end in steps of `step`, 0 when it has none (or gaps, or too little
// history). Reads only steps <= w.end.
std::size_t level_period(const WindowRef& w, Channel c, std::chrono::milliseconds step);

// The holding level of channel `c` `horizon_s` ahead of w.end; reads only steps <= w.end. `last` is
// the window's last value of the channel (last_values); it is returned when the history is too
// short to score the candidates, and NaN `last` (channel absent) gives NaN. `period_steps` is the
// channel's level_period (0: no seasonal candidate, as in model files from before it).
float holding_level(const WindowRef& w, Channel c, float last, std::chrono::milliseconds step,
                    double horizon_s, std::size_t period_steps = 0);

}  // namespace gpuopt::forecast
