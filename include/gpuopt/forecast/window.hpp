// What a forecaster sees: the history of one GPU up to "now" (the last observed grid step),
// at two resolutions -- the recent fine steps and a longer coarse context of bucket means --
// and the per-channel scale that makes it GPU-type independent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gpuopt/forecast/channels.hpp"

namespace gpuopt::forecast {

// A GPU's values on the grid, oldest first (views into a Segment or an online buffer).
struct History {
  std::array<std::span<const float>, kChannelCount> values;
  std::size_t size() const { return values[0].size(); }
};

// Per channel, the period of its level in grid steps, 0 for none (the seasonal candidate of the
// phase forecast, docs/forecast.md).
using ChannelPeriods = std::array<std::uint32_t, kChannelCount>;

// The phase switch test's evidence over the lookback (src/forecast/phases.hpp), per horizon and
// kind of the phase switched out of (0 low, 1 high): the absolute errors summed of switching to
// the other phase's level and of holding. Empty: no phases, no evidence.
struct SwitchEvidence {
  std::vector<std::array<double, 2>> switched_error;
  std::vector<std::array<double, 2>> held_error;
};
using ChannelSwitchEvidence = std::array<SwitchEvidence, kChannelCount>;

// The forecast origin: step `end` of `history` is the latest observation. Nothing after `end`
// is input; training reads targets there.
struct WindowRef {
  History history;
  std::size_t end = 0;
  std::uint32_t source = 0;  // index of the trace it comes from, for splits by trace (0 if unknown)
  // The channels' level periods, when the caller keeps them: the online forecaster refreshes them
  // once a second. Null: forecasters compute them at `end` (must outlive the forecast).
  const ChannelPeriods* periods = nullptr;
  // Likewise the channels' phase switch evidence, refreshed with the periods (the test reads the
  // whole phase lookback). Null: forecasters test at `end`.
  const ChannelSwitchEvidence* switch_evidence = nullptr;
};

struct WindowConfig {
  int fine_steps = 16;     // recent steps at full resolution (1.6 s at 100 ms)
  int coarse_steps = 24;   // older context as bucket means ...
  int coarse_factor = 50;  // ... of this many steps each (24 x 5 s = 2 min at 100 ms)
  std::size_t history_steps() const { return static_cast<std::size_t>(coarse_steps) * coarse_factor; }
};

// Per channel: the fixed scale (percentages, temperature) or a robust scale of the input window
// (95th percentile of the last history_steps() values, at least the channel's floor); NaN when
// the channel has no value in the window. Reads only steps <= end.
ChannelValues window_scales(const WindowRef& w, const WindowConfig& config);

// Whether `scale` (window_scales) is channel c's floor: the window's values are all near idle.
// Never for channels with a fixed scale.
bool at_scale_floor(Channel c, float scale);

// The latest value of each channel at or before `end` within the window (NaN if none).
ChannelValues last_values(const WindowRef& w, const WindowConfig& config);

// Mean of steps (end - n, end] of one channel, skipping NaN; NaN if none.
float trailing_mean(const WindowRef& w, Channel c, std::size_t n);

}  // namespace gpuopt::forecast
