// The gpuopt optimizer: Bayesian curve model + value-of-information probing (docs/power.md).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "optimizers.hpp"

namespace gpuopt::power {
namespace {

constexpr int kWarmup = 5;             // iterations after a setting change before measuring
constexpr int kProfile = 20;           // measured iterations per probe
constexpr std::size_t kMaxProbes = 4;  // windows, the one at the maximum setting included
constexpr std::size_t kSamples = 256;  // posterior draws per decision
constexpr double kMinGain = 1e-3;      // a probe must promise more than 0.1% of the remaining cost
constexpr double kNoiseVar = 1e-4;     // assumed variance of a measurement in log space (1%)
constexpr double kInfeasible = std::numeric_limits<double>::infinity();

struct Window {
  int warmup = kWarmup;
  int profile = kProfile;
  int total() const { return warmup + profile; }
};

// Epochs shorter than the window get a window that fits (a fifth of it warm-up).
Window window_for(const JobRun& run) {
  const std::int64_t epoch = run.iterations_per_epoch();
  if (epoch >= kWarmup + kProfile) return {};
  const int warmup = static_cast<int>(epoch / 5);
  return {warmup, static_cast<int>(std::max<std::int64_t>(1, epoch - warmup))};
}

struct Decision {
  std::size_t best = 0;              // index into settings
  double best_rate = 0;              // its expected cost per iteration
  std::optional<std::size_t> probe;  // the setting worth probing next, if any
};

class GpuoptOptimizer final : public Optimizer {
 public:
  explicit GpuoptOptimizer(CurvePrior prior) : prior_(std::move(prior)) {}
  std::string_view name() const override { return "gpuopt"; }
  Choice run(JobRun& run, const Objective& objective) const override;

 private:
  Decision decide(const CurvePosterior& posterior, const JobRun& run,
                  const std::vector<Measurement>& measured, const Objective& objective,
                  const Window& window) const;
  CurvePrior prior_;
};

// Measures `knob`, running the rest of an epoch that is too short for the window at `filler`.
std::optional<Measurement> measure(JobRun& run, double knob, double filler, const Window& window) {
  while (run.iterations_left() > 0) {
    if (run.iterations_left_in_epoch() < window.total()) {
      run.run_for(filler, run.iterations_left_in_epoch());
      continue;
    }
    return run.probe(knob, window.warmup, window.profile);
  }
  return std::nullopt;
}

const Measurement* find(const std::vector<Measurement>& measured, double knob) {
  for (const Measurement& m : measured) {
    if (m.knob == knob) return &m;
  }
  return nullptr;
}

// Cost per iteration of each setting in each posterior draw (rates[s * n + k]); measured
// settings use their measurement; settings that would break a slowdown bound cost infinity.
std::vector<double> sample_rates(const CurvePosterior& posterior, const JobRun& run,
                                 const std::vector<Measurement>& measured, const Objective& objective) {
  const auto& settings = run.settings();
  const std::size_t n = settings.size();
  std::vector<double> times;
  std::vector<double> powers;
  posterior.sample(settings, static_cast<int>(kSamples),
                   std::hash<std::string>{}(run.curve().key()) + measured.size(), times, powers);
  const auto left = static_cast<double>(run.iterations_left());
  const auto total = left + static_cast<double>(run.iterations_done());
  const double time_at_max_s = measured.front().time_per_iteration_s;
  // max_slowdown: the whole job, probing included, must stay within the bound.
  const auto feasible = [&](double time_per_iteration_s) {
    return objective.kind != Objective::Kind::max_slowdown ||
           run.totals().time_s + left * time_per_iteration_s <=
               (1 + objective.max_slowdown) * total * time_at_max_s;
  };
  std::vector<double> rates(n * kSamples);
  for (std::size_t k = 0; k < n; ++k) {
    const Measurement* m = find(measured, settings[k]);
    for (std::size_t s = 0; s < kSamples; ++s) {
      const std::size_t i = s * n + k;
      const double t = m ? m->time_per_iteration_s : times[i];
      const double p = m ? m->avg_power_w : powers[i];
      rates[i] = feasible(t) ? objective.rate(t, p, run.curve().max_knob()) : kInfeasible;
    }
  }
  return rates;
}

// Net value of probing setting q: expected improvement over the best, for the rest of the job,
// minus the extra cost of running the window there and the minimum gain a probe must promise.
double probe_value(const std::vector<double>& rates, std::size_t n, std::size_t q, double best_rate,
                   double left, const Window& window) {
  double gain = 0;
  double mean_rate = 0;
  int finite = 0;
  for (std::size_t s = 0; s < kSamples; ++s) {
    const double r = rates[s * n + q];
    if (!std::isfinite(r)) continue;
    gain += std::max(0.0, best_rate - r) / kSamples;
    mean_rate += r;
    ++finite;
  }
  if (finite == 0) return 0;
  mean_rate /= finite;
  const double window_cost = window.total() * std::max(0.0, mean_rate - best_rate);
  return gain * (left - window.total()) - window_cost - kMinGain * best_rate * left;
}

Decision GpuoptOptimizer::decide(const CurvePosterior& posterior, const JobRun& run,
                                 const std::vector<Measurement>& measured, const Objective& objective,
                                 const Window& window) const {
  const auto& settings = run.settings();
  const std::size_t n = settings.size();
  const std::vector<double> rates = sample_rates(posterior, run, measured, objective);
  Decision decision;
  decision.best_rate = kInfeasible;
  for (std::size_t k = 0; k < n; ++k) {
    double expected = 0;
    for (std::size_t s = 0; s < kSamples; ++s) expected += rates[s * n + k] / kSamples;
    // The job commits only to a measured setting: a prediction alone may be far off on a new GPU.
    const bool choosable = find(measured, settings[k]) != nullptr;
    if (choosable && expected < decision.best_rate) {
      decision.best = k;
      decision.best_rate = expected;
    }
  }
  const auto left = static_cast<double>(run.iterations_left());
  if (measured.size() >= kMaxProbes || left <= window.total()) return decision;
  double best_value = 0;
  for (std::size_t q = 0; q < n; ++q) {
    if (find(measured, settings[q])) continue;
    const double value = probe_value(rates, n, q, decision.best_rate, left, window);
    if (value > best_value) {
      best_value = value;
      decision.probe = q;
    }
  }
  return decision;
}

std::string describe_probes(const std::vector<Measurement>& measured, Knob knob) {
  std::string out;
  for (const Measurement& m : measured) {
    out +=
        fmt::format("{}{:g}{}", out.empty() ? "" : ", ", m.knob, knob == Knob::power_limit_w ? " W" : " MHz");
  }
  return out;
}

Choice GpuoptOptimizer::run(JobRun& run, const Objective& objective) const {
  const double top = run.settings().front();
  const Window window = window_for(run);
  const auto baseline = measure(run, top, top, window);
  if (!baseline) return {top, "the job ended before a first measurement"};
  CurvePosterior posterior(prior_, top, baseline->time_per_iteration_s, baseline->avg_power_w);
  std::vector<Measurement> measured{*baseline};
  Decision decision = decide(posterior, run, measured, objective, window);
  while (decision.probe) {
    const auto m = measure(run, run.settings()[*decision.probe], run.settings()[decision.best], window);
    if (!m) break;
    measured.push_back(*m);
    posterior.observe(m->knob, m->time_per_iteration_s, m->avg_power_w, kNoiseVar);
    decision = decide(posterior, run, measured, objective, window);
  }
  const double knob = run.settings()[decision.best];
  run.run_rest(knob);
  return {knob, fmt::format("model pretrained on {} curves; probed {}", prior_.training_curves(),
                            describe_probes(measured, run.curve().knob))};
}

}  // namespace

std::unique_ptr<Optimizer> make_gpuopt_optimizer(CurvePrior prior) {
  return std::make_unique<GpuoptOptimizer>(std::move(prior));
}

}  // namespace gpuopt::power
