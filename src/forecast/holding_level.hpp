// Internal: the level a channel holds while its phase lasts -- what the phase forecast predicts
// until the phase is due to end, and everywhere when no phases are found.
//
// A single sample is a noisy forecast of a flat channel; a median lags one that ramps. Of three
// candidates -- the last value, the median of the last horizon / 5, the median of the last
// horizon -- the holding level is the one that forecast this horizon best (least absolute error)
// from the origins of the last minute, each scored on values already observed at the window's end.
// Medians read at most kHoldingSamples values, evenly spaced, so that the cost of a forecast does
// not grow with the horizon.
#pragma once

#include <chrono>
#include <cstddef>

#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast {

inline constexpr std::size_t kHoldingSamples = 16;        // per median
inline constexpr std::size_t kHoldingOrigins = 60;        // scored origins ...
inline constexpr std::chrono::seconds kHoldingStride{1};  // ... this far apart

// The holding level of channel `c` `horizon_s` ahead of w.end; reads only steps <= w.end. `last` is
// the window's last value of the channel (last_values); it is returned when the history is too
// short to score the candidates, and NaN `last` (channel absent) gives NaN.
float holding_level(const WindowRef& w, Channel c, float last, std::chrono::milliseconds step,
                    double horizon_s);

}  // namespace gpuopt::forecast
