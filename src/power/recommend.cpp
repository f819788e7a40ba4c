#include "gpuopt/power/recommend.hpp"

#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/simulator.hpp"
#include "transfer_model.hpp"

// models/power-prior.json, compiled in (src/power/CMakeLists.txt).
extern "C" const unsigned char gpuopt_power_prior[];
extern "C" const unsigned long gpuopt_power_prior_size;

namespace gpuopt::power {
namespace {

constexpr int kSamples = 512;
constexpr double kConfidence = 0.9;   // max_slowdown: probability the bound must hold with
constexpr double kMinSaving = 0.005;  // below this expected saving the maximum limit is kept

struct Prediction {
  double time = 0;    // relative to the maximum limit
  double energy = 0;  // per unit of work, relative units
  double rate = 0;
  double within_bound = 0;  // probability of meeting a slowdown bound
};

std::vector<Prediction> predict(const CurvePosterior& posterior, const std::vector<double>& settings,
                                const Objective& objective, double max_limit_w) {
  std::vector<double> times;
  std::vector<double> powers;
  posterior.sample(settings, kSamples, 17, times, powers);
  std::vector<Prediction> out(settings.size());
  for (std::size_t k = 0; k < settings.size(); ++k) {
    for (int s = 0; s < kSamples; ++s) {
      const std::size_t i = static_cast<std::size_t>(s) * settings.size() + k;
      out[k].time += times[i] / kSamples;
      out[k].energy += times[i] * powers[i] / kSamples;
      out[k].rate += objective.rate(times[i], powers[i], max_limit_w) / kSamples;
      if (times[i] <= 1 + objective.max_slowdown) out[k].within_bound += 1.0 / kSamples;
    }
  }
  return out;
}

}  // namespace

std::string fit_prior_json(const std::vector<JobCurve>& curves, Knob knob) {
  return CurvePrior::fit(curves, knob).to_json();
}

Recommendation recommend_power_limit(const GpuObservation& gpu, const Objective& objective,
                                     const std::string& prior_json, const std::string& prior_source) {
  if (!(gpu.avg_power_w > 0)) throw UsageError("no power draw observed: cannot recommend a power limit");
  if (!(gpu.min_limit_w > 0 && gpu.max_limit_w >= gpu.min_limit_w)) {
    throw UsageError("the GPU reports no valid power-limit range: cannot recommend a power limit");
  }
  const CurvePrior prior = CurvePrior::from_json(
      prior_json.empty()
          ? std::string(reinterpret_cast<const char*>(gpuopt_power_prior), gpuopt_power_prior_size)
          : prior_json,
      prior_json.empty() ? "the shipped power prior" : prior_source);
  JobCurve shape;
  shape.points = {{gpu.min_limit_w, 1, 1}, {gpu.max_limit_w, 1, 1}};
  const std::vector<double> settings = candidate_settings(shape);
  // At a lowered limit the job may be capped: its unconstrained draw is then at least this.
  const bool capped = gpu.avg_power_w >= 0.95 * gpu.current_limit_w && gpu.current_limit_w < gpu.max_limit_w;
  const CurvePosterior posterior(prior, gpu.max_limit_w, 1.0, std::min(gpu.avg_power_w, gpu.max_limit_w));
  const auto predictions = predict(posterior, settings, objective, gpu.max_limit_w);
  std::size_t best = 0;
  for (std::size_t k = 1; k < settings.size(); ++k) {
    if (objective.kind == Objective::Kind::max_slowdown) {
      if (predictions[k].within_bound >= kConfidence && predictions[k].energy < predictions[best].energy)
        best = k;
    } else if (predictions[k].rate < predictions[best].rate) {
      best = k;
    }
  }
  const Prediction& top = predictions.front();
  const double saving = objective.kind == Objective::Kind::max_slowdown
                            ? 1 - predictions[best].energy / top.energy
                            : 1 - predictions[best].rate / top.rate;
  if (saving < kMinSaving) best = 0;
  const Prediction& chosen = predictions[best];
  Recommendation r;
  r.power_limit_w = settings[best];
  r.expected_energy_saving = 1 - chosen.energy / top.energy;
  r.expected_slowdown = chosen.time / top.time - 1;
  r.expected_cost_saving = 1 - chosen.rate / top.rate;
  const std::string observed =
      fmt::format("the GPU draws {:.0f} W on average under a {:.0f} W limit ({:.0f}-{:.0f} W allowed){}",
                  gpu.avg_power_w, gpu.current_limit_w, gpu.min_limit_w, gpu.max_limit_w,
                  capped ? " (it is capped there, so its unconstrained draw may be higher)" : "");
  if (best == 0) {
    r.why = fmt::format(
        "{}; on {} measured jobs of other workloads and GPUs, no lower limit is expected to improve {} "
        "by {:g}% or more, so the maximum limit stays",
        observed, prior.training_curves(), objective.describe(), 100 * kMinSaving);
    return r;
  }
  r.why = fmt::format(
      "{}; on {} measured jobs of other workloads and GPUs, jobs drawing this share of the maximum limit run "
      "{:.1f}% longer and use {:.1f}% less energy at {:.0f} W, the best trade-off for {}",
      observed, prior.training_curves(), 100 * r.expected_slowdown, 100 * r.expected_energy_saving,
      r.power_limit_w, objective.describe());
  return r;
}

}  // namespace gpuopt::power
