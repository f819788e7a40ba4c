// The gpuopt optimizer: Bayesian curve model + value-of-information probing, robust to
// measurement noise (docs/power.md).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "measurement_log.hpp"
#include "optimizers.hpp"

namespace gpuopt::power {
namespace {

constexpr int kWarmup = 5;             // iterations after a setting change before measuring
constexpr int kProfile = 20;           // measured iterations per probe when measurements are exact
constexpr int kMaxProfile = 35;        // ... and at most when they are noisy
constexpr int kParts = 4;              // sub-windows per window, for the noise estimate
constexpr double kTargetSd = 0.01;     // windows are lengthened until a window's noise is this
constexpr std::size_t kMaxProbes = 4;  // settings probed on a grid of up to 16, the maximum included
constexpr std::size_t kSamples = 256;  // posterior draws per decision
constexpr double kMinGain = 1e-3;      // a probe must promise more than 0.1% of the remaining cost
constexpr double kNoiseVar = 1e-4;     // least variance of a measurement in log space (1%)
constexpr double kBoundZ = 2.0;        // a slowdown bound must hold by this many standard deviations
constexpr int kConfirmWindows = 8;     // most extra windows to confirm a setting meets the bound
constexpr double kInfeasible = std::numeric_limits<double>::infinity();

struct Window {
  int warmup = kWarmup;
  int profile = kProfile;
  int total() const { return warmup + profile; }
  int parts() const { return std::min(kParts, profile); }
};

// Epochs shorter than the window get a window that fits (a fifth of it warm-up).
Window window_for(const JobRun& run, int profile) {
  const std::int64_t epoch = run.iterations_per_epoch();
  if (epoch >= kWarmup + profile) return {kWarmup, profile};
  const int warmup = static_cast<int>(epoch / 5);
  return {warmup, static_cast<int>(std::max<std::int64_t>(1, epoch - warmup))};
}

struct Decision {
  std::size_t best = 0;              // index into settings
  double best_rate = 0;              // its expected cost per iteration
  std::optional<std::size_t> probe;  // the setting worth probing next, if any
};

// What the job knows: the measurements and the curve model updated with them.
struct Knowledge {
  MeasurementLog log;
  CurvePosterior posterior;
};

class GpuoptOptimizer final : public Optimizer {
 public:
  explicit GpuoptOptimizer(CurvePrior prior) : prior_(std::move(prior)) {}
  std::string_view name() const override { return "gpuopt"; }
  Choice run(JobRun& run, const Objective& objective) const override;

 private:
  Decision decide(const Knowledge& known, const JobRun& run, const Objective& objective, const Window& window,
                  double z = kBoundZ) const;
  void confirm(Knowledge& known, JobRun& run, const Objective& objective, const Window& window,
               Decision& decision) const;
  CurvePrior prior_;
};

// Measures `knob` in sub-windows into `log`, running the rest of an epoch that is too short for
// the window at `filler`. False when the job ended first.
bool measure(JobRun& run, double knob, double filler, const Window& window, MeasurementLog& log) {
  while (run.iterations_left() > 0) {
    if (run.iterations_left_in_epoch() < window.total()) {
      run.run_for(filler, run.iterations_left_in_epoch());
      continue;
    }
    const auto parts = run.probe_parts(knob, window.warmup, window.profile, window.parts());
    if (!parts) return false;
    // The last part may be a little longer; weighing the parts equally biases only the noise estimate.
    log.add(*parts, window.profile / window.parts());
    return true;
  }
  return false;
}

// The best estimate of a measured setting: its measurement pulled towards the smooth curve
// by how noisy it is compared with how far real points stray from the curve.
Measurement estimate(const Knowledge& known, const CurvePrior& prior, const MeasurementLog::Setting& s) {
  const double v = known.log.log_var(s.iterations);
  if (v == 0) return s.mean;
  const auto pull = [&](double measured, double smooth, int output) {
    const double weight = prior.residual_var(output) / (prior.residual_var(output) + v);
    return std::exp(std::log(smooth) + weight * (std::log(measured) - std::log(smooth)));
  };
  const double knob = s.mean.knob;
  return {knob, pull(s.mean.time_per_iteration_s, known.posterior.mean_time_s(knob), 0),
          pull(s.mean.avg_power_w, known.posterior.mean_power_w(knob), 1)};
}

// Log variance of a measured setting's estimated time (the measurement and the curve combined).
double estimate_var(const Knowledge& known, const CurvePrior& prior, const MeasurementLog::Setting& s) {
  const double v = known.log.log_var_upper(s.iterations);
  return v * prior.residual_var(0) / (v + prior.residual_var(0));
}

// Whether running the rest of the job at time per iteration `t` (of a setting whose time
// relative to the reference has log variance `v_ratio`) keeps the whole job within the bound
// with high probability; the reference is measured with log variance `v_ref`.
bool within_bound(const JobRun& run, const Objective& objective, double z, double t, double t_ref,
                  double v_ratio, double v_ref) {
  if (objective.kind != Objective::Kind::max_slowdown) return true;
  const auto left = static_cast<double>(run.iterations_left());
  const auto total = left + static_cast<double>(run.iterations_done());
  const double done_high = run.totals().time_s * std::exp(z * std::sqrt(v_ref));
  const double t_high = t * std::exp(z * std::sqrt(v_ratio));
  return done_high + left * t_high <= (1 + objective.max_slowdown) * total * t_ref;
}

// Whether one more window at measured setting `knob`, then the rest of the job at the reference,
// surely keeps the slowdown bound (probing may break the bound by itself).
bool can_afford_window(const Knowledge& known, const CurvePrior& prior, const JobRun& run,
                       const Objective& objective, const Window& window, double knob) {
  const MeasurementLog::Setting& ref = known.log.settings().front();
  const MeasurementLog::Setting& s = *known.log.find(knob);
  const auto left = static_cast<double>(run.iterations_left());
  const double w = std::min(left, static_cast<double>(window.total()));
  const double t_ref = ref.mean.time_per_iteration_s;
  const double v_ref = known.log.log_var_upper(ref.iterations);
  const double t_high = estimate(known, prior, s).time_per_iteration_s *
                        std::exp(kBoundZ * std::sqrt(estimate_var(known, prior, s) + v_ref));
  const double done_high = run.totals().time_s * std::exp(kBoundZ * std::sqrt(v_ref));
  const double total = left + static_cast<double>(run.iterations_done());
  return done_high + w * t_high + (left - w) * t_ref <= (1 + objective.max_slowdown) * total * t_ref;
}

// Cost per iteration of each setting in each posterior draw (rates[s * n + k]); measured
// settings use their estimate; settings that may break a slowdown bound cost infinity.
std::vector<double> sample_rates(const Knowledge& known, const CurvePrior& prior, const JobRun& run,
                                 const Objective& objective, double z) {
  const auto& settings = run.settings();
  const std::size_t n = settings.size();
  std::vector<double> times;
  std::vector<double> powers;
  known.posterior.sample(settings, static_cast<int>(kSamples),
                         std::hash<std::string>{}(run.curve().key()) + known.log.windows(), times, powers);
  const MeasurementLog::Setting& ref = known.log.settings().front();
  const double t_ref = ref.mean.time_per_iteration_s;
  const double v_ref = known.log.log_var_upper(ref.iterations);
  std::vector<double> rates(n * kSamples);
  for (std::size_t k = 0; k < n; ++k) {
    const MeasurementLog::Setting* m = known.log.find(settings[k]);
    const std::optional<Measurement> e = m ? std::optional(estimate(known, prior, *m)) : std::nullopt;
    const double v_ratio = m && m != &ref ? estimate_var(known, prior, *m) + v_ref : 0;
    for (std::size_t s = 0; s < kSamples; ++s) {
      const std::size_t i = s * n + k;
      const double t = e ? e->time_per_iteration_s : times[i];
      const double p = e ? e->avg_power_w : powers[i];
      const bool ok = within_bound(run, objective, z, t, t_ref, v_ratio, m ? v_ref : 0);
      rates[i] = ok ? objective.rate(t, p, run.curve().max_knob()) : kInfeasible;
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

// Large grids (SM clocks: ~70 settings) get one more probe per doubling beyond 16 settings: a
// model from other GPUs may misplace the knee, and a few probes more find it.
std::size_t max_probes(std::size_t settings) {
  std::size_t probes = kMaxProbes;
  for (std::size_t n = 16; n < settings; n *= 2) ++probes;
  return probes;
}

Decision GpuoptOptimizer::decide(const Knowledge& known, const JobRun& run, const Objective& objective,
                                 const Window& window, double z) const {
  const auto& settings = run.settings();
  const std::size_t n = settings.size();
  const std::vector<double> rates = sample_rates(known, prior_, run, objective, z);
  Decision decision;
  decision.best_rate = kInfeasible;
  for (std::size_t k = 0; k < n; ++k) {
    double expected = 0;
    for (std::size_t s = 0; s < kSamples; ++s) expected += rates[s * n + k] / kSamples;
    // The job commits only to a measured setting: a prediction alone may be far off on a new GPU.
    const bool choosable = known.log.find(settings[k]) != nullptr;
    if (choosable && expected < decision.best_rate) {
      decision.best = k;
      decision.best_rate = expected;
    }
  }
  const auto left = static_cast<double>(run.iterations_left());
  if (known.log.settings().size() >= max_probes(n) || left <= window.total()) return decision;
  // Coarse before fine on a large grid: the model may misplace the knee of a GPU it never saw,
  // so its thirds are measured before the model chooses.
  if (n > 16) {
    for (const std::size_t q : {n / 3, 2 * n / 3}) {
      if (!known.log.find(settings[q])) {
        decision.probe = q;
        return decision;
      }
    }
  }
  double best_value = 0;
  for (std::size_t q = 0; q < n; ++q) {
    if (known.log.find(settings[q])) continue;
    const double value = probe_value(rates, n, q, decision.best_rate, left, window);
    if (value > best_value) {
      best_value = value;
      decision.probe = q;
    }
  }
  return decision;
}

std::string describe_probes(const MeasurementLog& log, Knob knob) {
  std::string out;
  for (const MeasurementLog::Setting& s : log.settings()) {
    out += fmt::format("{}{:g}{}", out.empty() ? "" : ", ", s.mean.knob,
                       knob == Knob::power_limit_w ? " W" : " MHz");
  }
  if (log.log_var(kProfile) > 0) {
    out += fmt::format(" (noise of a {}-iteration window ~{:.1f}%)", kProfile,
                       100 * std::sqrt(log.log_var(kProfile)));
  }
  return out;
}

// Profiled iterations per window so that a window's noise is about kTargetSd (within limits).
int profile_for(const MeasurementLog& log) {
  const double v = log.log_var_upper(kProfile);
  if (v <= kTargetSd * kTargetSd) return kProfile;
  return std::min(kMaxProfile, static_cast<int>(std::ceil(kProfile * v / (kTargetSd * kTargetSd))));
}

// Under a slowdown bound with noisy measurements, the setting that looks best may be certain
// to meet the bound only after more windows: measure it and the reference again, in turn,
// until it is certain, or another setting is best, or the budget of windows is spent.
void GpuoptOptimizer::confirm(Knowledge& known, JobRun& run, const Objective& objective, const Window& window,
                              Decision& decision) const {
  if (objective.kind != Objective::Kind::max_slowdown || known.log.log_var(kProfile) == 0) return;
  for (int i = 0; i < kConfirmWindows; ++i) {
    const Decision hopeful = decide(known, run, objective, window, 0.0);
    if (hopeful.best == 0 || hopeful.best == decision.best) return;
    if (!can_afford_window(known, prior_, run, objective, window, run.settings()[hopeful.best])) return;
    const double knob = run.settings()[i % 2 == 0 ? hopeful.best : 0];
    if (!measure(run, knob, run.settings()[decision.best], window, known.log)) return;
    decision = decide(known, run, objective, window);
  }
}

Choice GpuoptOptimizer::run(JobRun& run, const Objective& objective) const {
  const double top = run.settings().front();
  Window window = window_for(run, kProfile);
  MeasurementLog log;
  if (!measure(run, top, top, window, log)) return {top, "the job ended before a first measurement"};
  // Noisy measurements: longer windows, and the reference measured again (it anchors everything).
  if (const int profile = profile_for(log); profile > window.profile) {
    window = window_for(run, profile);
    measure(run, top, top, window, log);
  }
  const Measurement& ref = log.settings().front().mean;
  Knowledge known{log, CurvePosterior(prior_, top, ref.time_per_iteration_s, ref.avg_power_w)};
  Decision decision = decide(known, run, objective, window);
  while (decision.probe) {
    const double knob = run.settings()[*decision.probe];
    if (!measure(run, knob, run.settings()[decision.best], window, known.log)) break;
    const MeasurementLog::Setting& s = *known.log.find(knob);
    known.posterior.observe(knob, s.mean.time_per_iteration_s, s.mean.avg_power_w,
                            std::max(kNoiseVar, known.log.log_var(s.iterations)));
    decision = decide(known, run, objective, window);
  }
  confirm(known, run, objective, window, decision);
  const double knob = run.settings()[decision.best];
  run.run_rest(knob);
  return {knob, fmt::format("model pretrained on {} curves; probed {}", prior_.training_curves(),
                            describe_probes(known.log, run.curve().knob))};
}

}  // namespace

std::unique_ptr<Optimizer> make_gpuopt_optimizer(CurvePrior prior) {
  return std::make_unique<GpuoptOptimizer>(std::move(prior));
}

}  // namespace gpuopt::power
