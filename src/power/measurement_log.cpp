#include "measurement_log.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gpuopt::power {

void MeasurementLog::add(std::span<const Measurement> parts, int iterations_per_part) {
  if (parts.empty() || iterations_per_part <= 0) throw std::invalid_argument("an empty measurement window");
  // Running means: equal values give exactly that value and a spread of exactly 0.
  double log_time = std::log(parts.front().time_per_iteration_s);
  double log_power = std::log(parts.front().avg_power_w);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    log_time += (std::log(parts[i].time_per_iteration_s) - log_time) / static_cast<double>(i + 1);
    log_power += (std::log(parts[i].avg_power_w) - log_power) / static_cast<double>(i + 1);
  }
  // The variance of a part's log value is (per-iteration variance) / iterations_per_part.
  for (const Measurement& m : parts) {
    const double dt = std::log(m.time_per_iteration_s) - log_time;
    const double dp = std::log(m.avg_power_w) - log_power;
    squares_ += iterations_per_part * (dt * dt + dp * dp);
  }
  degrees_of_freedom_ += 2 * (static_cast<int>(parts.size()) - 1);
  ++windows_;
  Setting* setting = nullptr;
  for (Setting& s : settings_) {
    if (s.mean.knob == parts.front().knob) setting = &s;
  }
  if (setting == nullptr) setting = &settings_.emplace_back(Setting{{parts.front().knob, 0, 0}, 0});
  for (const Measurement& m : parts) {
    setting->iterations += iterations_per_part;
    const double weight = static_cast<double>(iterations_per_part) / setting->iterations;
    setting->mean.time_per_iteration_s +=
        (m.time_per_iteration_s - setting->mean.time_per_iteration_s) * weight;
    setting->mean.avg_power_w += (m.avg_power_w - setting->mean.avg_power_w) * weight;
  }
}

const MeasurementLog::Setting* MeasurementLog::find(double knob) const {
  for (const Setting& s : settings_) {
    if (s.mean.knob == knob) return &s;
  }
  return nullptr;
}

double MeasurementLog::log_var(int iterations) const {
  if (degrees_of_freedom_ == 0 || iterations <= 0) return 0;
  return squares_ / degrees_of_freedom_ / iterations;
}

double MeasurementLog::log_var_upper(int iterations) const {
  if (degrees_of_freedom_ == 0) return 0;
  // About the 90 % upper bound of the variance (normal approximation of the chi-square).
  const double dof = degrees_of_freedom_;
  return log_var(iterations) * dof / std::max(1.0, dof - 1.28 * std::sqrt(2 * dof));
}

}  // namespace gpuopt::power
