// Power-limit / SM-clock optimizers behind one interface, chosen by name:
//   default     the maximum setting (what a GPU runs at unless told otherwise)
//   oracle      the best setting of the measured curve, known in advance (for reporting only)
//   zeus-sweep  Zeus's just-in-time profiler: from the maximum down in 25 W steps, 10 warm-up
//               then 40 profiling iterations per setting, then the best measured one
//   gpuopt      a curve model pretrained on other workloads and GPUs, updated by each probe,
//               that probes only while the expected gain exceeds the probe's cost
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/power/curve.hpp"
#include "gpuopt/power/objective.hpp"
#include "gpuopt/power/simulator.hpp"

namespace gpuopt::power {

struct Choice {
  double knob = 0;     // the setting the job finished at
  std::string reason;  // one line: why
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string_view name() const = 0;
  // Plays the whole job: probes as it likes, then runs the remaining iterations at its choice.
  // Const and thread-safe: one optimizer may run many jobs concurrently.
  virtual Choice run(JobRun& run, const Objective& objective) const = 0;
};

// "default", "oracle", "zeus-sweep", "gpuopt".
std::span<const std::string_view> optimizer_names();

// `training`: the curves the optimizer may learn from (only gpuopt uses them; those of the
// other knob kind are ignored). Throws UsageError for an unknown name (listing the valid
// ones) or when gpuopt gets no training curve of the job's knob kind.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const std::vector<JobCurve>& training,
                                          Knob knob = Knob::power_limit_w);

// The Zeus selectors over measured windows (also used by gpuopt for its final pick):
// zeus_cost minimises the cost per iteration with max_power_w = the maximum setting's limit;
// max_slowdown takes the lowest-energy setting whose time is within the bound of the
// measurement at the maximum setting (which must be among `measured`); energy_delay
// minimises P * t^2. Throws std::invalid_argument for an empty list.
double select_setting(std::span<const Measurement> measured, const Objective& objective, double max_power_w);

}  // namespace gpuopt::power
