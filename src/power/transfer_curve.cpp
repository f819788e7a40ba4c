// Accuracy of the curve model versus the number of probes, with and without pretraining.
#include <algorithm>
#include <cmath>
#include <limits>

#include "gpuopt/error.hpp"
#include "gpuopt/power/evaluate.hpp"
#include "transfer_model.hpp"

namespace gpuopt::power {
namespace {

// Indices of `n` settings (0 = the maximum, measured first) in probing order: the lowest, then
// the midpoints of the largest gaps.
std::vector<std::size_t> probe_order(std::size_t n) {
  std::vector<std::size_t> order;
  if (n < 2) return order;
  std::vector<std::size_t> chosen{0, n - 1};
  order.push_back(n - 1);
  while (order.size() + 1 < n) {
    std::sort(chosen.begin(), chosen.end());
    std::size_t best_gap = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < chosen.size(); ++i) {
      if (chosen[i + 1] - chosen[i] > best_gap) {
        best_gap = chosen[i + 1] - chosen[i];
        at = chosen[i] + best_gap / 2;
      }
    }
    if (best_gap < 2) break;
    chosen.push_back(at);
    order.push_back(at);
  }
  return order;
}

struct Accuracy {
  double error = -1;  // -1: every setting was probed, nothing to predict
  double regret = 0;
};

Accuracy accuracy(const CurvePrior& prior, const JobCurve& job, const Objective& objective, int probes) {
  const CurveModel model(job);
  const auto settings = candidate_settings(job);
  const double per_unit = static_cast<double>(job.iterations_per_unit);
  const double max_power_w = job.max_knob();
  std::vector<double> truth;
  truth.reserve(settings.size());
  for (const double k : settings)
    truth.push_back(objective.rate(model.time_s(k) / per_unit, model.avg_power_w(k), max_power_w));
  CurvePosterior posterior(prior, settings.front(), model.time_s(settings.front()) / per_unit,
                           model.avg_power_w(settings.front()));
  std::vector<bool> measured(settings.size(), false);
  measured[0] = true;
  const auto order = probe_order(settings.size());
  for (int i = 0; i < probes && i < static_cast<int>(order.size()); ++i) {
    const double k = settings[order[static_cast<std::size_t>(i)]];
    posterior.observe(k, model.time_s(k) / per_unit, model.avg_power_w(k), 0);
    measured[order[static_cast<std::size_t>(i)]] = true;
  }
  Accuracy a;
  double error_sum = 0;
  int unprobed = 0;
  std::size_t pick = 0;
  double pick_rate = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const double predicted = measured[i] ? truth[i]
                                         : objective.rate(posterior.mean_time_s(settings[i]),
                                                          posterior.mean_power_w(settings[i]), max_power_w);
    if (!measured[i]) {
      error_sum += std::abs(predicted / truth[i] - 1);
      ++unprobed;
    }
    if (predicted < pick_rate) {
      pick_rate = predicted;
      pick = i;
    }
  }
  a.error = unprobed > 0 ? error_sum / unprobed : -1;
  a.regret = truth[pick] / *std::min_element(truth.begin(), truth.end()) - 1;
  return a;
}

}  // namespace

std::vector<TransferPoint> transfer_curve(const std::vector<JobCurve>& all_curves, const EvalOptions& options,
                                          int max_probes) {
  const Knob knob =
      options.objective.kind == Objective::Kind::energy_delay ? Knob::sm_clock_mhz : Knob::power_limit_w;
  std::vector<std::string> gpus;
  for (const JobCurve& c : all_curves) {
    if (c.knob == knob && std::find(gpus.begin(), gpus.end(), c.gpu) == gpus.end()) gpus.push_back(c.gpu);
  }
  if (!options.holdout_gpu.empty()) {
    if (std::find(gpus.begin(), gpus.end(), options.holdout_gpu) == gpus.end()) {
      throw UsageError("--holdout-gpu " + options.holdout_gpu + ": no curves of that GPU");
    }
    gpus = {options.holdout_gpu};
  }
  std::vector<std::vector<Accuracy>> pretrained(static_cast<std::size_t>(max_probes) + 1);
  std::vector<std::vector<Accuracy>> uninformed(static_cast<std::size_t>(max_probes) + 1);
  const CurvePrior flat = CurvePrior::uninformed(knob);
  for (const std::string& gpu : gpus) {
    std::vector<JobCurve> training;
    for (const JobCurve& c : all_curves) {
      if (c.knob == knob && c.gpu != gpu) training.push_back(c);
    }
    const CurvePrior prior = CurvePrior::fit(training, knob);
    for (const JobCurve& job : all_curves) {
      if (job.knob != knob || job.gpu != gpu || job.points.size() < 3) continue;
      for (int k = 0; k <= max_probes; ++k) {
        pretrained[static_cast<std::size_t>(k)].push_back(accuracy(prior, job, options.objective, k));
        uninformed[static_cast<std::size_t>(k)].push_back(accuracy(flat, job, options.objective, k));
      }
    }
  }
  if (pretrained.front().empty())
    throw UsageError("no curves with at least 3 points to draw the transfer curve from");
  std::vector<TransferPoint> out;
  for (int k = 0; k <= max_probes; ++k) {
    const auto column = [&](const std::vector<Accuracy>& values, double Accuracy::*field) {
      std::vector<double> v;
      for (const Accuracy& a : values) {
        if (a.*field >= 0) v.push_back(a.*field);
      }
      return median(v);
    };
    const auto& pre = pretrained[static_cast<std::size_t>(k)];
    const auto& flat_k = uninformed[static_cast<std::size_t>(k)];
    out.push_back({k, column(pre, &Accuracy::error), column(flat_k, &Accuracy::error),
                   column(pre, &Accuracy::regret), column(flat_k, &Accuracy::regret)});
  }
  return out;
}

}  // namespace gpuopt::power
