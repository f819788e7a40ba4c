// Anomaly rules applied to one GPU's resampled stream (docs/forecast.md, "Anomaly events"):
//   anomaly.forecast_deviation  power or utilization outside the calibrated interval of the
//                               forecast made one horizon earlier, for most of 30 s
//   anomaly.collapse            power (and utilization) fell to under half of the last minute's
//                               level while memory stayed allocated, for 15 s
//   anomaly.clock_drop          thermal-like: SM clock (or, without clocks, power) 20-25 % down
//                               while utilization holds, for 30 s
//   anomaly.stuck_util          utilization frozen at one mid-range value for 60 s while power moves
//   anomaly.memory_growth       memory used rose steadily for 5 minutes (toward the limit if known)
// Each rule fires once when its condition has held long enough and re-arms after it has been
// false for a minute.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt::forecast {

// One forecast value with its calibrated interval, in the channel's unit (NaN = absent).
struct ForecastPoint {
  float value = 0;
  float lower = 0;
  float upper = 0;
};

// Turns predict() output of one window into points with intervals: value -/+ Calibration::width x scale,
// each clipped to what the channel can read (0..100 %, no negative watts, MiB or MHz) and, when the
// GPU's memory is known (`mem_total_mib`), memory used to at most that: no forecast or bound says a
// GPU will use more memory than it has. Without calibration the bounds are NaN (no interval).
std::vector<ForecastPoint> with_intervals(const Forecaster& model, const WindowRef& w,
                                          std::span<const float> pred,
                                          std::optional<double> mem_total_mib = std::nullopt);

struct Anomaly {
  std::string kind;      // "anomaly.collapse", ...
  EpochMs time_ms = 0;   // when the rule fired
  std::string severity;  // "warning" or "error"
  std::string message;   // one line
  std::string details_json;
};

// Steps of history the rules need (5 minutes at the step).
std::size_t anomaly_history_steps(std::chrono::milliseconds step);

class AnomalyDetector {
 public:
  // `mem_total_mib` (when known) turns memory growth into a time-to-limit estimate.
  AnomalyDetector(const ForecastSpec& spec, std::optional<double> mem_total_mib);

  // Call once per new grid step; `w.end` is that step. `forecast` is the forecast made at this
  // step (with_intervals output; empty if none). Rules are checked once per second.
  std::vector<Anomaly> step(const WindowRef& w, EpochMs time_ms, std::span<const ForecastPoint> forecast);

 private:
  struct Rule {
    int holding = 0;  // consecutive checks the condition held
    int clear = 0;    // consecutive checks it did not, after firing
    bool fired = false;
  };
  struct Pending {
    std::uint64_t due_step;
    ForecastPoint power;
    ForecastPoint util;
  };
  enum RuleId { kDeviation, kCollapse, kClockDrop, kStuck, kMemory, kRuleCount };

  void check(const WindowRef& w, EpochMs time_ms, std::vector<Anomaly>& out);
  void score_due_forecasts(const WindowRef& w);
  bool deviation_holds() const;
  // Updates the rule; true when it fires now.
  bool update(RuleId id, bool holds, int needed_checks);

  ForecastSpec spec_;
  std::optional<double> mem_total_mib_;
  std::size_t deviation_horizon_;  // index of the horizon compared (closest to 5 s)
  std::size_t check_every_;        // steps per check (1 s)
  std::uint64_t steps_ = 0;
  std::deque<Pending> pending_;
  // Per scored forecast (its due step): whether the observation fell outside its interval.
  std::deque<std::pair<std::uint64_t, bool>> outside_;
  std::array<Rule, kRuleCount> rules_{};
};

}  // namespace gpuopt::forecast
