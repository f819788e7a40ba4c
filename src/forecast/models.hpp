// Internal: the constructors behind the registry, and helpers shared by the models.
#pragma once

#include <cstddef>
#include <memory>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "gpuopt/forecast/forecaster.hpp"

namespace gpuopt::forecast {

std::unique_ptr<Forecaster> make_persistence(const ForecastSpec& spec);
std::unique_ptr<Forecaster> make_moving_average(const ForecastSpec& spec);
std::unique_ptr<Forecaster> make_phase_rule(const ForecastSpec& spec);  // baselines.cpp
std::unique_ptr<Forecaster> make_tree_forecaster(const ForecastSpec& spec);  // tree_forecaster.cpp
std::unique_ptr<Forecaster> make_seq_forecaster(std::string_view arch,
                                                const ForecastSpec& spec);  // seq_forecaster.cpp

// A whole segment as a History.
History history_of(const Segment& segment);

// Index of (window, channel, horizon) in predict()'s output.
inline std::size_t output_index(const ForecastSpec& spec, std::size_t w, std::size_t c, std::size_t h) {
  return w * spec.outputs() + c * spec.horizons.size() + h;
}

}  // namespace gpuopt::forecast
