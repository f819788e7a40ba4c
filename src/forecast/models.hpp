// Internal: the constructors behind the registry, and helpers shared by the models.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

std::unique_ptr<Forecaster> make_persistence(const ForecastSpec& spec);
std::unique_ptr<Forecaster> make_moving_average(const ForecastSpec& spec);
std::unique_ptr<Forecaster> make_phase_rule(const ForecastSpec& spec);       // baselines.cpp
std::unique_ptr<Forecaster> make_tree_forecaster(const ForecastSpec& spec);  // tree_forecaster.cpp
std::unique_ptr<Forecaster> make_seq_forecaster(std::string_view arch,
                                                const ForecastSpec& spec);  // seq_forecaster.cpp

// A whole segment as a History.
History history_of(const Segment& segment);

// Index of (window, channel, horizon) in predict()'s output.
inline std::size_t output_index(const ForecastSpec& spec, std::size_t w, std::size_t c, std::size_t h) {
  return w * spec.outputs() + c * spec.horizons.size() + h;
}

// The first candidate whose error is within `margin` (a share, 0.01 = 1 %) of the least error:
// with candidates in order of trust, a less trusted one must win by more than the margin. How the
// sequence models pick the weight of their corrections. `errors` must not be empty.
inline std::size_t first_within_margin(std::span<const double> errors, double margin) {
  const double least = *std::min_element(errors.begin(), errors.end());
  const auto kept =
      std::find_if(errors.begin(), errors.end(), [&](double e) { return e <= least * (1 + margin); });
  return static_cast<std::size_t>(kept - errors.begin());
}

// Per candidate, the mean over traces of the trace's error with that candidate relative to its
// error with the first: every trace counts alike, however large its errors. `errors[t * candidates
// + k]` is trace t's error with candidate k; a trace whose first error is not positive (no target,
// or the first candidate exact) is left out. Empty when no trace counts.
inline std::vector<double> mean_relative_errors(std::span<const double> errors, std::size_t candidates) {
  std::vector<double> mean(candidates, 0.0);
  std::size_t traces = 0;
  for (std::size_t from = 0; from + candidates <= errors.size(); from += candidates) {
    const std::span<const double> trace = errors.subspan(from, candidates);
    if (!(trace[0] > 0)) continue;
    for (std::size_t k = 0; k < candidates; ++k) mean[k] += trace[k] / trace[0];
    ++traces;
  }
  if (traces == 0) return {};
  for (double& m : mean) m /= static_cast<double>(traces);
  return mean;
}

// The candidate kept from traces' errors (laid out as for mean_relative_errors, the first candidate
// the most trusted): first_within_margin of their mean relative errors. A trace whose errors are all
// 0 holds nothing to choose by (no target) and is left out: nullopt when no trace is left. Where the
// first candidate is exact on every trace left, it is kept.
inline std::optional<std::size_t> kept_candidate(std::span<const double> errors, std::size_t candidates,
                                                 double margin) {
  const std::vector<double> relative = mean_relative_errors(errors, candidates);
  if (!relative.empty()) return first_within_margin(relative, margin);
  if (std::ranges::any_of(errors, [](double e) { return e > 0; })) return 0;
  return std::nullopt;
}

}  // namespace gpuopt::forecast
