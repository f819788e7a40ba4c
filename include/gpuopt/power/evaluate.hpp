// `gpuopt power eval`: every optimizer on every measured job, leave-one-GPU-out (docs/power.md).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "gpuopt/power/curve.hpp"
#include "gpuopt/power/objective.hpp"
#include "gpuopt/power/simulator.hpp"

namespace gpuopt::power {

struct EvalOptions {
  Objective objective;  // energy_delay evaluates the clock curves, the others the power-limit curves
  std::vector<std::string> optimizers{"default", "oracle", "zeus-sweep", "gpuopt"};
  std::string holdout_gpu;  // evaluate only this GPU; "" = every GPU in turn
  double epochs = 0;        // > 0: job length in units for every job; else the data's, else 10
  NoiseOptions noise;
};

// One optimizer on one job. Savings and slowdown are relative to `default` on the same job,
// cost_vs_oracle to `oracle`'s cost; everything spent probing is included.
struct EvalResult {
  std::string optimizer;
  std::string gpu;
  std::string workload;  // with the training optimizer when the data has one: "cifar100/shufflenetv2/adam"
  int batch_size = 0;
  double setting = 0;  // chosen power limit (W) or SM clock (MHz)
  double energy_saving = 0;
  double slowdown = 0;
  double cost_vs_oracle = 0;
  double probe_s = 0;
  int probes = 0;
  std::string reason;
};

struct EvalSummary {
  std::string optimizer;
  std::size_t jobs = 0;
  double median_cost_vs_oracle = 0;
  double median_energy_saving = 0;
  double median_slowdown = 0;
  double median_probe_s = 0;
  double worst_slowdown = 0;
  std::size_t over_bound = 0;  // max_slowdown objective: jobs slower than the bound allows
};

struct Evaluation {
  Knob knob = Knob::power_limit_w;
  std::vector<std::string> gpus;  // evaluated, in order
  std::vector<EvalResult> results;
  std::vector<EvalSummary> summary;  // one per optimizer, in the requested order
};

// Jobs of GPU g are optimized by optimizers trained on the curves of the other GPUs only.
// Throws UsageError for an unknown optimizer, a holdout GPU without curves, no curve of the
// objective's knob kind, or a GPU with no other GPU's curves to train gpuopt on.
// `progress(done, total)` is called after each job.
Evaluation evaluate(const std::vector<JobCurve>& curves, const EvalOptions& options,
                    const std::function<void(std::size_t, std::size_t)>& progress = {});

double median(std::vector<double> values);  // 0 for an empty list

// The transfer-learning curve of the gpuopt model: accuracy after k probes (k = 0 .. max_probes
// beyond the measurement at the maximum setting), with the prior pretrained on the other GPUs'
// curves and with an uninformed prior. Probes follow a fixed order (the lowest setting, then
// bisection), the same for both, so only the prior differs.
struct TransferPoint {
  int probes = 0;
  double pretrained_error = 0;   // median over jobs of the mean |predicted / true - 1| of the
  double uninformed_error = 0;   // objective's cost per iteration at the unprobed settings
  double pretrained_regret = 0;  // median over jobs of (cost at the model's pick) / (best) - 1
  double uninformed_regret = 0;
};
// Throws as evaluate().
std::vector<TransferPoint> transfer_curve(const std::vector<JobCurve>& curves, const EvalOptions& options,
                                          int max_probes);

}  // namespace gpuopt::power
