// Internal: the level phases of one channel, the long memory of the forecasters.
//
// Training jobs alternate between a few levels -- compute and checkpoint, bursts and idle -- for
// durations that repeat, often over periods longer than the 2-minute window. Over the last
// kPhaseLookback of the history, at 1 s resolution (bucket means), each second is "high" or "low"
// against the midpoint of the channel's 10th and 90th percentiles over the last 2 minutes; runs
// of equal seconds are phases. Phases are found only when that spread is at least a fifth of the
// channel's window scale, and used only when the current phase's kind has completed at least
// twice before (runs of at least 3 s count; shorter ones only split phases).
//
// The phase forecast assumes the phases keep their last durations: the value `h` ahead is the
// holding level (holding_level.hpp) while the current phase lasts, then the last other phase's
// level, alternating: the median of its samples (of its 1 s means in model files from before
// 2026-12-05: a phase of short bursts has a mean far above its typical sample). A phase that has
// outlasted its expected duration by more than 2 s has broken the pattern: the forecast is then the
// holding level, as where no phases are found.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>

#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

inline constexpr std::chrono::minutes kPhaseLookback{15};
inline constexpr std::size_t kPhaseLevelSamples = 256;

// How the phase forecast holds a phase: at the last value (model files from before the holding
// level), at the holding level without its seasonal candidate and with the other phase's level as
// the median of its 1 s means (model files from before 2026-12-05), or as holding_level.hpp and
// this header describe (`seasonal`, the current rule).
enum class Holding { last_value, level, seasonal };

struct PhaseState {
  bool found = false;
  // The last complete phase of the other kind, in the channel's unit: the median of its samples (at
  // most kPhaseLevelSamples, evenly spaced), or of its 1 s means for Holding::last_value and level.
  float other_level = 0;
  double elapsed_s = 0;  // of the current phase so far
  double same_s = 0;     // the last complete phase of the current kind
  double other_s = 0;    // the last complete phase of the other kind
};

// Steps of history the phases read (kPhaseLookback on a grid of `step`).
std::size_t phase_history_steps(std::chrono::milliseconds step);

// The phases of channel `c` up to w.end (reads only steps <= end). `scale` is the channel's window
// scale (window_scales); a NaN scale (channel absent) finds nothing. `holding` picks the level.
PhaseState find_phases(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                       Holding holding = Holding::seasonal);

// True when the phases put the value `horizon_s` ahead in the other kind of phase.
bool phase_switched(const PhaseState& s, double horizon_s);

// The phase forecast of a channel whose holding level `horizon_s` ahead is `holding`.
float phase_forecast(const PhaseState& s, float holding, double horizon_s);

// Inputs the sequence models' head gets from the phases, per channel: found, (other level - last) /
// scale, time to the expected end of the phase (minutes, clipped to [-2, 2]), the other phase's
// duration (minutes, clipped to [0, 5]), then per horizon (phase forecast - last) / scale. A channel
// without phases gets zeros, but for its per-horizon inputs with Holding::level: (holding level -
// last) / scale.
inline constexpr std::size_t kPhaseForecastOffset = 4;  // of the per-horizon inputs within a channel's
inline std::size_t phase_feature_count(const ForecastSpec& spec) {
  return kChannelCount * (kPhaseForecastOffset + spec.horizons.size());
}
void phase_features(const WindowRef& w, const ForecastSpec& spec, const ChannelValues& last,
                    const ChannelValues& scales, Holding holding, std::span<float> out);

}  // namespace gpuopt::forecast
