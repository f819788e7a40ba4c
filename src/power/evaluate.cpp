#include "gpuopt/power/evaluate.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/optimizer.hpp"

namespace gpuopt::power {
namespace {

constexpr double kDefaultEpochs = 10;

struct Outcome {
  RunTotals totals;
  Choice choice;
};

Outcome play(const Optimizer& optimizer, const JobCurve& curve, std::int64_t iterations,
             const Objective& objective, const NoiseOptions& noise) {
  JobRun run(curve, iterations, noise);
  Choice choice = optimizer.run(run, objective);
  return {run.totals(), std::move(choice)};
}

std::vector<std::string> gpus_to_evaluate(const std::vector<JobCurve>& curves, const std::string& holdout) {
  std::vector<std::string> gpus;
  for (const JobCurve& c : curves) {
    if (std::find(gpus.begin(), gpus.end(), c.gpu) == gpus.end()) gpus.push_back(c.gpu);
  }
  if (holdout.empty()) return gpus;
  if (std::find(gpus.begin(), gpus.end(), holdout) == gpus.end()) {
    throw UsageError(fmt::format("--holdout-gpu {}: no curves of that GPU (GPUs in the data: {})", holdout,
                                 fmt::join(gpus, ", ")));
  }
  return {holdout};
}

std::string workload_label(const JobCurve& c) {
  return c.optimizer.empty() ? c.workload : c.workload + "/" + c.optimizer;
}

EvalSummary summarize(const std::string& name, const std::vector<EvalResult>& results,
                      const Objective& objective) {
  EvalSummary s;
  s.optimizer = name;
  std::vector<double> cost, saving, slowdown, probe;
  for (const EvalResult& r : results) {
    if (r.optimizer != name) continue;
    ++s.jobs;
    cost.push_back(r.cost_vs_oracle);
    saving.push_back(r.energy_saving);
    slowdown.push_back(r.slowdown);
    probe.push_back(r.probe_s);
    s.worst_slowdown = std::max(s.worst_slowdown, r.slowdown);
    if (objective.kind == Objective::Kind::max_slowdown && r.slowdown > objective.max_slowdown + 1e-9)
      ++s.over_bound;
  }
  s.median_cost_vs_oracle = median(cost);
  s.median_energy_saving = median(saving);
  s.median_slowdown = median(slowdown);
  s.median_probe_s = median(probe);
  return s;
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

namespace {

// Every optimizer on one job; results appended to `out`.
void evaluate_job(const JobCurve& curve, const std::vector<std::unique_ptr<Optimizer>>& optimizers,
                  const EvalOptions& options, std::vector<EvalResult>& out) {
  JobCurve job = curve;
  if (options.epochs > 0) job.units_per_job = options.epochs;
  const std::int64_t iterations = job_iterations(job, kDefaultEpochs);
  const double max_power_w = curve.max_knob();
  const Outcome base =
      play(*make_optimizer("default", {}), job, iterations, options.objective, options.noise);
  const Outcome best = play(*make_optimizer("oracle", {}), job, iterations, options.objective, options.noise);
  const double best_cost = options.objective.job_cost(best.totals.energy_j, best.totals.time_s, max_power_w);
  for (const auto& optimizer : optimizers) {
    const Outcome o = play(*optimizer, job, iterations, options.objective, options.noise);
    EvalResult r;
    r.optimizer = std::string(optimizer->name());
    r.gpu = curve.gpu;
    r.workload = workload_label(curve);
    r.batch_size = curve.batch_size;
    r.setting = o.choice.knob;
    r.energy_saving = 1 - o.totals.energy_j / base.totals.energy_j;
    r.slowdown = o.totals.time_s / base.totals.time_s - 1;
    r.cost_vs_oracle =
        options.objective.job_cost(o.totals.energy_j, o.totals.time_s, max_power_w) / best_cost;
    r.probe_s = o.totals.probe_time_s;
    r.probes = o.totals.probes;
    r.reason = o.choice.reason;
    out.push_back(std::move(r));
  }
}

void check_names(const std::vector<std::string>& names) {
  const auto valid = optimizer_names();
  for (const std::string& name : names) {
    if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
      throw UsageError(fmt::format("unknown optimizer '{}' (valid: {})", name, fmt::join(valid, ", ")));
    }
  }
}

}  // namespace

Evaluation evaluate(const std::vector<JobCurve>& all_curves, const EvalOptions& options,
                    const std::function<void(std::size_t, std::size_t)>& progress) {
  Evaluation out;
  out.knob =
      options.objective.kind == Objective::Kind::energy_delay ? Knob::sm_clock_mhz : Knob::power_limit_w;
  std::vector<JobCurve> curves;
  for (const JobCurve& c : all_curves) {
    if (c.knob == out.knob) curves.push_back(c);
  }
  if (curves.empty()) {
    throw UsageError(fmt::format("no {} curves in the data for {}",
                                 out.knob == Knob::power_limit_w ? "power-limit" : "SM-clock",
                                 options.objective.describe()));
  }
  check_names(options.optimizers);
  out.gpus = gpus_to_evaluate(curves, options.holdout_gpu);
  std::size_t total = 0;
  for (const JobCurve& c : curves) total += std::count(out.gpus.begin(), out.gpus.end(), c.gpu);
  std::size_t done = 0;
  for (const std::string& gpu : out.gpus) {
    std::vector<JobCurve> training;
    for (const JobCurve& c : curves) {
      if (c.gpu != gpu) training.push_back(c);
    }
    std::vector<std::unique_ptr<Optimizer>> optimizers;
    for (const std::string& name : options.optimizers) {
      if (name == "gpuopt" && training.empty()) {
        throw UsageError(
            fmt::format("gpuopt on {}: no other GPU's curves to pretrain on (leave-one-GPU-out)", gpu));
      }
      optimizers.push_back(make_optimizer(name, training, out.knob));
    }
    for (const JobCurve& curve : curves) {
      if (curve.gpu != gpu) continue;
      evaluate_job(curve, optimizers, options, out.results);
      if (progress) progress(++done, total);
    }
  }
  for (const std::string& name : options.optimizers) {
    out.summary.push_back(summarize(name, out.results, options.objective));
  }
  return out;
}

}  // namespace gpuopt::power
