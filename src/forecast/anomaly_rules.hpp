// Internal: the stateless conditions behind AnomalyDetector's rules, evaluated on the history
// ending at w.end. `sps` is grid steps per second. Thresholds are documented in docs/forecast.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast {

struct RuleCheck {
  bool holds = false;
  std::string message;       // set when holds
  std::string details_json;  // set when holds
  std::string severity = "warning";
};

RuleCheck check_collapse(const WindowRef& w, std::size_t sps);
RuleCheck check_clock_drop(const WindowRef& w, std::size_t sps);
RuleCheck check_stuck_util(const WindowRef& w, std::size_t sps);
RuleCheck check_memory_growth(const WindowRef& w, std::size_t sps, std::optional<double> mem_total_mib);

// Mean of one channel over steps (end - from_back, end - to_back], NaN if the history is shorter
// or holds no value there.
float range_mean(const WindowRef& w, Channel c, std::size_t from_back, std::size_t to_back);

// Median (the lower one for an even count) of the same range, NaN as for range_mean.
float range_median(const WindowRef& w, Channel c, std::size_t from_back, std::size_t to_back);

}  // namespace gpuopt::forecast
