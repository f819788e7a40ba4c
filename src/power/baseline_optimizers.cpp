// default, oracle and zeus-sweep.
#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "optimizers.hpp"

namespace gpuopt::power {
namespace {

class DefaultOptimizer final : public Optimizer {
 public:
  std::string_view name() const override { return "default"; }
  Choice run(JobRun& run, const Objective&) const override {
    const double knob = run.settings().front();
    run.run_rest(knob);
    return {knob, "the maximum setting"};
  }
};

class OracleOptimizer final : public Optimizer {
 public:
  std::string_view name() const override { return "oracle"; }
  Choice run(JobRun& run, const Objective& objective) const override {
    const CurveModel& model = run.model();
    const double per_unit = static_cast<double>(run.curve().iterations_per_unit);
    std::vector<Measurement> exact;
    for (const double knob : run.settings()) {
      exact.push_back({knob, model.time_s(knob) / per_unit, model.avg_power_w(knob)});
    }
    const double knob = select_setting(exact, objective, run.curve().max_knob());
    run.run_rest(knob);
    return {knob, "the best setting of the measured curve, known in advance"};
  }
};

// Zeus's GlobalPowerLimitOptimizer: warmup_steps=10, profile_steps=40, pl_step=25 W. A window
// cut by the end of an epoch is restarted at the same setting in the next epoch, so an epoch
// shorter than 50 iterations never finishes profiling (as in Zeus).
class ZeusSweepOptimizer final : public Optimizer {
 public:
  std::string_view name() const override { return "zeus-sweep"; }
  Choice run(JobRun& run, const Objective& objective) const override {
    constexpr int kWarmup = 10;
    constexpr int kProfile = 40;
    const auto& settings = run.settings();
    std::vector<Measurement> measured;
    std::size_t next = 0;
    while (next < settings.size() && run.iterations_left() > 0) {
      if (auto m = run.probe(settings[next], kWarmup, kProfile)) {
        measured.push_back(*m);
        ++next;
      }
    }
    if (next < settings.size()) return {settings[next], "the job ended before profiling finished"};
    const double knob = select_setting(measured, objective, run.curve().max_knob());
    run.run_rest(knob);
    return {knob, fmt::format("best of {} profiled settings", measured.size())};
  }
};

}  // namespace

double select_setting(std::span<const Measurement> measured, const Objective& objective, double max_power_w) {
  if (measured.empty()) throw std::invalid_argument("select_setting: no measurements");
  const auto at_max =
      std::max_element(measured.begin(), measured.end(),
                       [](const Measurement& a, const Measurement& b) { return a.knob < b.knob; });
  double best_knob = at_max->knob;
  double best_rate = std::numeric_limits<double>::infinity();
  for (const Measurement& m : measured) {
    if (objective.kind == Objective::Kind::max_slowdown &&
        m.time_per_iteration_s > (1 + objective.max_slowdown) * at_max->time_per_iteration_s) {
      continue;
    }
    const double rate = objective.rate(m.time_per_iteration_s, m.avg_power_w, max_power_w);
    if (rate < best_rate) {
      best_rate = rate;
      best_knob = m.knob;
    }
  }
  return best_knob;
}

std::unique_ptr<Optimizer> make_default_optimizer() { return std::make_unique<DefaultOptimizer>(); }
std::unique_ptr<Optimizer> make_oracle_optimizer() { return std::make_unique<OracleOptimizer>(); }
std::unique_ptr<Optimizer> make_zeus_sweep_optimizer() { return std::make_unique<ZeusSweepOptimizer>(); }

}  // namespace gpuopt::power
