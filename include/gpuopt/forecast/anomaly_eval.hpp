// Evaluating the anomaly rules: a documented generator injects labelled anomalies into copies of
// held-out traces, the detector runs over them, and events are matched to the injections.
//
// Generator (one injection per GPU segment and kind, at a seeded random start where it fits;
// docs/forecast.md has the details):
//   stuck_util    utilization frozen at its reading for 120 s (only where that reading is 1-99 %)
//   collapse      power to an idle level (the segment's 5th percentile, at most 20 % of the
//                 mean of the 90 s before), utilization 0 for 120 s (memory kept)
//   memory_leak   memory used ramps up by 15 % of its maximum over 300 s and stays there
//   clock_drop    power x 0.7 (and SM clock x 0.6 when recorded) for 120 s, utilization unchanged
// stuck_util, collapse and clock_drop start where utilization averaged >= 50 % over the 90 s before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/forecast/anomaly.hpp"
#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

enum class InjectedKind { stuck_util, collapse, memory_leak, clock_drop };
inline constexpr std::size_t kInjectedKinds = 4;
std::string_view injected_kind_name(InjectedKind kind);

struct Injection {
  std::size_t gpu = 0;
  std::size_t segment = 0;
  std::size_t start = 0;  // first altered step
  std::size_t end = 0;    // one past the last step of the anomaly (a leak's ramp)
  InjectedKind kind = InjectedKind::collapse;
};

// A copy of `trace` with one anomaly of `kind` in every GPU segment where one fits; the
// injections are appended to `injections`. Deterministic for a seed.
Trace inject_anomalies(const Trace& trace, InjectedKind kind, std::uint64_t seed,
                       std::vector<Injection>& injections);

struct DetectedEvent {
  std::size_t gpu = 0;
  std::size_t segment = 0;
  std::size_t step = 0;  // the step at which the rule fired
  Anomaly anomaly;
};

// Runs an AnomalyDetector over every GPU segment, with a forecast from `model` every second.
std::vector<DetectedEvent> detect_anomalies(const Forecaster& model, const Trace& trace);

struct AnomalyScores {
  std::size_t injected = 0;
  std::size_t detected = 0;      // injections with an event during them or within 60 s after
  std::size_t events = 0;        // events on injected traces
  std::size_t true_events = 0;   // ... that fall in an injection's window
  std::size_t clean_events = 0;  // events on the un-injected traces (false alarms)
  std::map<std::string, std::size_t> clean_events_by_kind;
  double clean_gpu_hours = 0;  // GPU time of the un-injected traces
  std::size_t injected_by_kind[kInjectedKinds] = {};
  std::size_t detected_by_kind[kInjectedKinds] = {};
  double precision() const;
  double recall() const;
  double false_alarms_per_gpu_hour() const;
};

// Scores the detector on `trace` as is (false alarms) and with each kind injected.
void score_anomalies(const Forecaster& model, const Trace& trace, std::uint64_t seed, AnomalyScores& scores);

}  // namespace gpuopt::forecast
