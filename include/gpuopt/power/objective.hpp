// What the power optimizers minimise (docs/power.md).
#pragma once

#include <string>
#include <string_view>

namespace gpuopt::power {

struct Objective {
  enum class Kind {
    zeus_cost,     // eta * energy + (1 - eta) * max_power_limit * time
    max_slowdown,  // energy, subject to time <= (1 + max_slowdown) * time at the maximum setting
    energy_delay,  // energy * time (clock mode)
  };
  Kind kind = Kind::zeus_cost;
  double eta = 0.5;            // zeus_cost: weight of energy, in [0, 1]
  double max_slowdown = 0.05;  // max_slowdown: allowed fraction of extra time

  // Cost of a whole job that used `energy_j` and `time_s`; `max_power_w` is the GPU's
  // maximum power limit (zeus_cost only). Lower is better.
  double job_cost(double energy_j, double time_s, double max_power_w) const;

  // The per-iteration rate a setting is ranked by (zeus_cost: t * (eta P + (1 - eta) Pmax);
  // max_slowdown: energy t * P; energy_delay: P * t^2). Feasibility is separate.
  double rate(double time_per_iteration_s, double power_w, double max_power_w) const;

  // "Zeus cost (eta 0.5)", "energy with at most 5% slowdown", "energy x delay".
  std::string describe() const;
};

// Builds the objective of the CLI options: `max_slowdown` ("5%", "0.05", "" = not given)
// takes precedence over eta; `energy_delay` selects the clock-mode objective. Throws UsageError
// for eta outside [0, 1] (NaN included) or a slowdown outside (0, 100%], naming the option as
// `option_prefix` + "eta" / "max-slowdown" (`gpuopt serve` passes "--power-").
Objective make_objective(double eta, const std::string& max_slowdown, bool energy_delay,
                         std::string_view option_prefix = "--");

}  // namespace gpuopt::power
