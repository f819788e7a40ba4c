// Internal: the level phases of one channel, the long memory of the forecasters.
//
// Training jobs alternate between a few levels -- compute and checkpoint, bursts and idle -- for
// durations that repeat, often over periods longer than the 2-minute window. Over the last
// kPhaseLookback of the history, at 1 s resolution (bucket means), each second is "high" or "low"
// against the midpoint of the channel's 10th and 90th percentiles over the last 2 minutes; runs
// of equal seconds are phases. Phases are found only when that spread is at least a fifth of the
// channel's window scale, and used only when the current phase's kind has completed before (runs
// of at least 3 s count; shorter ones only split phases). The first run of the lookback began
// before it: its length is unknown, so it is no completed phase (Holding::whole_phases; older rules
// count it and want two).
//
// The phase forecast assumes the phases keep their last durations: the value `h` ahead is the
// holding level (holding_level.hpp) while the current phase lasts, then the last other phase's
// level, alternating: the median of its samples (of its 1 s means in model files from before
// 2026-12-05: a phase of short bursts has a mean far above its typical sample). A phase that has
// outlasted its expected duration by more than 2 s has broken the pattern: the forecast is then the
// holding level, as where no phases are found. So has a phase whose level so far (its 1 s means)
// is further from the last phase of its kind than half the distance between the last two phases'
// levels (Holding::known_levels): a burst of another size, a job's compute after its startup's
// blips; its length tells nothing about that phase's. At a horizon where the switch to the other phase
// forecast worse than the holding median over the lookback, the forecast holds (find_phases).
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

inline constexpr std::chrono::minutes kPhaseLookback{15};
inline constexpr std::size_t kPhaseLevelSamples = 256;

// The version of the phase rule, by how it holds a phase: at the last value (model files from
// before the holding level), at the holding level without its seasonal candidate and with the other
// phase's level as the median of its 1 s means (model files from before 2026-12-05), as
// holding_level.hpp and this header describe (`seasonal`, model files of stop 18 and 19), or so and
// switching to the other phase only at the horizons where that held up (`tested_switch`, model files
// of stop 20), or where it held up out of phases of the current one's kind (`tested_per_kind`, model
// files of stop 21), or so with whole phases only, one of the current kind trusted (`whole_phases`,
// model files of stop 22 to 24), or so with phases at a known level only (`known_levels`, model
// files of stop 25 before memory_held), or so with memory used held at its last value
// (`memory_held`, the current rule: memory changes only when a process allocates or frees it, and a
// median of the last seconds lags a job's load ramp). The rules before whole_phases count the
// lookback's first run, whose start they did not see, as a completed phase, and trust two.
enum class Holding {
  last_value,
  level,
  seasonal,
  tested_switch,
  tested_per_kind,
  whole_phases,
  known_levels,
  memory_held
};
// The rule the `phase` model and newly trained sequence models use.
inline constexpr Holding kCurrentHolding = Holding::memory_held;

struct PhaseState {
  bool found = false;
  // The last complete phase of the other kind, in the channel's unit: the median of its samples (at
  // most kPhaseLevelSamples, evenly spaced), or of its 1 s means for Holding::last_value and level.
  float other_level = 0;
  double elapsed_s = 0;  // of the current phase so far
  double same_s = 0;     // the last complete phase of the current kind
  double other_s = 0;    // the last complete phase of the other kind
  // Horizons (seconds) at which the switch to the other phase did not hold up: the phase forecast
  // holds there (Holding::tested_switch and later rules only).
  std::vector<double> unswitched_s;
};

// Steps of history the phases read (kPhaseLookback on a grid of `step`).
std::size_t phase_history_steps(std::chrono::milliseconds step);

// The phases of channel `c` up to w.end (reads only steps <= end). `scale` is the channel's window
// scale (window_scales); a NaN scale (channel absent) finds nothing. `holding` picks the rule.
//
// With Holding::tested_switch, the switch is tested per horizon in `horizons_s`: at the end of
// every second of the lookback where the phases, as they stood then, put the value that far ahead
// in the other kind of phase, the other phase's level and the median of the last max(1 s,
// horizon / 5) (the holding level's short candidate) are scored on the value observed; where the
// median's absolute errors sum to less, the forecast at that horizon holds (`unswitched_s`).
// Phases read as periodic can be out of step with the job (A100 inference bursts). With
// Holding::tested_per_kind and later only the seconds in a phase of the current one's kind count:
// the end of a checkpoint can be regular where the end of a compute phase is not (H100 `ckpt500`).
// Where the caller keeps the test's evidence (w.switch_evidence), that is used instead.
PhaseState find_phases(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                       Holding holding = kCurrentHolding, std::span<const double> horizons_s = {});

// The evidence of find_phases' test alone, for `horizons_s`; none where no phases can be read.
SwitchEvidence switch_evidence(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                               std::span<const double> horizons_s, Holding holding = kCurrentHolding);

// What the phase forecast of `holding` reads beyond the window, found at w.end for every channel:
// the level periods (holding_level.hpp) and the switch test's evidence. For callers that refresh
// them less often than they forecast (Forecaster::refresh_long_memory, OnlineForecaster).
void refresh_phase_memory(const WindowRef& w, const ForecastSpec& spec, Holding holding,
                          ChannelPeriods& periods, ChannelSwitchEvidence& evidence);

// True when the phases put the value `horizon_s` ahead in the other kind of phase and the switch
// held up at that horizon (not in s.unswitched_s).
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
