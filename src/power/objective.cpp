#include "gpuopt/power/objective.hpp"

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::power {

double Objective::job_cost(double energy_j, double time_s, double max_power_w) const {
  switch (kind) {
    case Kind::zeus_cost:
      return eta * energy_j + (1 - eta) * max_power_w * time_s;
    case Kind::max_slowdown:
      return energy_j;
    case Kind::energy_delay:
      return energy_j * time_s;
  }
  return energy_j;
}

double Objective::rate(double time_per_iteration_s, double power_w, double max_power_w) const {
  switch (kind) {
    case Kind::zeus_cost:
      return time_per_iteration_s * (eta * power_w + (1 - eta) * max_power_w);
    case Kind::max_slowdown:
      return time_per_iteration_s * power_w;
    case Kind::energy_delay:
      return power_w * time_per_iteration_s * time_per_iteration_s;
  }
  return time_per_iteration_s * power_w;
}

std::string Objective::describe() const {
  switch (kind) {
    case Kind::zeus_cost:
      return fmt::format("Zeus cost (eta {:g})", eta);
    case Kind::max_slowdown:
      return fmt::format("energy with at most {:g}% slowdown", max_slowdown * 100);
    case Kind::energy_delay:
      return "energy x delay";
  }
  return "";
}

Objective make_objective(double eta, const std::string& max_slowdown, bool energy_delay,
                         std::string_view option_prefix) {
  Objective objective;
  if (!(eta >= 0 && eta <= 1))
    throw UsageError(fmt::format("{}eta {:g}: must be in [0, 1]", option_prefix, eta));
  objective.eta = eta;
  if (energy_delay) {
    objective.kind = Objective::Kind::energy_delay;
    return objective;
  }
  if (max_slowdown.empty()) return objective;
  std::string text = max_slowdown;
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) {
    throw UsageError(
        fmt::format("{}max-slowdown '{}': expected a percentage such as 5% or a fraction such as 0.05",
                    option_prefix, max_slowdown));
  }
  if (percent) value /= 100;
  if (!(value > 0 && value <= 1)) {
    throw UsageError(fmt::format("{}max-slowdown '{}': must be more than 0% and at most 100%", option_prefix,
                                 max_slowdown));
  }
  objective.kind = Objective::Kind::max_slowdown;
  objective.max_slowdown = value;
  return objective;
}

}  // namespace gpuopt::power
