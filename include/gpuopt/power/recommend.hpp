// A power-limit recommendation from telemetry alone (`gpuopt power recommend`, the agent's
// advisory mode): the pretrained curve model predicts, from how much power the job draws
// relative to the GPU's limits, the time and power curve, and the best limit on it.
#pragma once

#include <string>
#include <vector>

#include "gpuopt/power/curve.hpp"
#include "gpuopt/power/objective.hpp"

namespace gpuopt::power {

// The curve model fitted on `curves` (those of `knob` kind), as JSON for --prior files and
// the copy shipped in the binary (models/power-prior.json). Throws UsageError without curves.
std::string fit_prior_json(const std::vector<JobCurve>& curves, Knob knob = Knob::power_limit_w);

// What telemetry says about a GPU and its job.
struct GpuObservation {
  double avg_power_w = 0;      // mean draw over the observation window (> 0)
  double current_limit_w = 0;  // enforced limit meanwhile
  double min_limit_w = 0;      // the device's allowed range
  double max_limit_w = 0;
};

struct Recommendation {
  double power_limit_w = 0;
  double expected_energy_saving = 0;  // vs the maximum limit, fraction
  double expected_slowdown = 0;       // vs the maximum limit, fraction
  double expected_cost_saving = 0;    // of the objective, fraction
  std::string why;                    // one or two sentences for people
};

// `prior_json`: "" = the shipped model; `prior_source` names it in errors (e.g. its path).
// Throws UsageError for an observation without a positive power or a valid range, or a
// malformed prior.
Recommendation recommend_power_limit(const GpuObservation& gpu, const Objective& objective,
                                     const std::string& prior_json = "",
                                     const std::string& prior_source = "power prior");

}  // namespace gpuopt::power
