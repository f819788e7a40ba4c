#include "gpuopt/power/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::power {

CurveModel::CurveModel(const JobCurve& curve) : points_(curve.points) {
  if (points_.empty()) throw UsageError(fmt::format("curve {} has no measured points", curve.key()));
}

std::pair<std::size_t, double> CurveModel::locate(double knob) const {
  const double lo = points_.front().knob;
  const double hi = points_.back().knob;
  // Settings are given to 1e-6 relative precision; within that a measured end point counts.
  const double tolerance = 1e-6 * std::max(1.0, hi);
  if (knob < lo - tolerance || knob > hi + tolerance) {
    throw UsageError(fmt::format("setting {} is outside the measured range [{}, {}]", knob, lo, hi));
  }
  if (points_.size() == 1) return {0, 0.0};
  const auto upper = std::upper_bound(points_.begin(), points_.end(), knob,
                                      [](double k, const OperatingPoint& p) { return k < p.knob; });
  std::size_t i = static_cast<std::size_t>(upper - points_.begin());
  i = std::clamp<std::size_t>(i, 1, points_.size() - 1) - 1;
  const double span = points_[i + 1].knob - points_[i].knob;
  return {i, std::clamp((knob - points_[i].knob) / span, 0.0, 1.0)};
}

double CurveModel::time_s(double knob) const {
  const auto [i, w] = locate(knob);
  if (w == 0.0) return points_[i].time_s;
  return (1 - w) * points_[i].time_s + w * points_[i + 1].time_s;
}

double CurveModel::avg_power_w(double knob) const {
  const auto [i, w] = locate(knob);
  if (w == 0.0) return points_[i].avg_power_w;
  return (1 - w) * points_[i].avg_power_w + w * points_[i + 1].avg_power_w;
}

std::vector<double> candidate_settings(const JobCurve& curve) {
  std::vector<double> out;
  if (curve.knob == Knob::power_limit_w) {
    constexpr double kStepW = 25.0;  // Zeus's pl_step
    const auto steps = static_cast<int>(std::floor((curve.max_knob() - curve.min_knob()) / kStepW + 1e-9));
    for (int i = 0; i <= steps; ++i) out.push_back(curve.max_knob() - i * kStepW);
  } else {
    for (auto it = curve.points.rbegin(); it != curve.points.rend(); ++it) out.push_back(it->knob);
  }
  return out;
}

std::int64_t job_iterations(const JobCurve& curve, double default_units) {
  const double units = curve.units_per_job > 0 ? curve.units_per_job : default_units;
  const double per_unit = curve.unit == "epoch" ? static_cast<double>(curve.iterations_per_unit) : 1000.0;
  return std::max<std::int64_t>(1, std::llround(units * per_unit));
}

namespace {

// Each job's noise stream depends on the job too: with one stream for all, every job's first
// window would err the same way and the jobs of an evaluation would not be independent.
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const unsigned char c : text) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

}  // namespace

JobRun::JobRun(const JobCurve& curve, std::int64_t total_iterations, const NoiseOptions& noise)
    : curve_(curve),
      model_(curve),
      settings_(candidate_settings(curve)),
      total_(total_iterations),
      epoch_iterations_(curve.unit == "epoch" ? std::max<std::int64_t>(1, curve.iterations_per_unit) : 1000),
      noise_(noise),
      rng_state_(noise.seed * 0x9E3779B97F4A7C15ULL + fnv1a(curve.key())) {
  if (total_iterations <= 0) throw UsageError("a job needs at least one iteration");
}

std::int64_t JobRun::iterations_left_in_epoch() const {
  return std::min(epoch_iterations_ - done_ % epoch_iterations_, total_ - done_);
}

void JobRun::spend(double knob, std::int64_t iterations, bool probing) {
  const double per_iteration_s = model_.time_s(knob) / static_cast<double>(curve_.iterations_per_unit);
  const double time_s = per_iteration_s * static_cast<double>(iterations);
  totals_.time_s += time_s;
  totals_.energy_j += time_s * model_.avg_power_w(knob);
  if (probing) totals_.probe_time_s += time_s;
  done_ += iterations;
}

// splitmix64 + Box-Muller: the same stream on every platform, unlike <random>'s distributions.
double JobRun::noise_factor(int profile) {
  if (noise_.rel_sigma <= 0) return 1.0;
  const auto uniform = [this] {
    std::uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
  };
  const double normal = std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * std::numbers::pi * uniform());
  const double sigma = noise_.rel_sigma * std::sqrt(40.0 / std::max(1, profile));
  return std::max(0.05, 1.0 + sigma * normal);
}

std::optional<Measurement> JobRun::probe(double knob, int warmup, int profile) {
  // One part of the whole window draws the same noise as a single measurement.
  auto parts = probe_parts(knob, warmup, profile, 1);
  if (!parts) return std::nullopt;
  return parts->front();
}

std::optional<std::vector<Measurement>> JobRun::probe_parts(double knob, int warmup, int profile, int parts) {
  if (parts < 1 || parts > profile) {
    throw UsageError(fmt::format("a window of {} iterations cannot be split in {} parts", profile, parts));
  }
  const std::int64_t window = static_cast<std::int64_t>(warmup) + profile;
  const std::int64_t available = iterations_left_in_epoch();
  if (window > available) {
    spend(knob, available, true);
    return std::nullopt;
  }
  spend(knob, window, true);
  ++totals_.probes;
  const double per_iteration_s = model_.time_s(knob) / static_cast<double>(curve_.iterations_per_unit);
  std::vector<Measurement> out;
  for (int i = 0; i < parts; ++i) {
    const int length = i + 1 < parts ? profile / parts : profile - (profile / parts) * (parts - 1);
    out.push_back(
        {knob, per_iteration_s * noise_factor(length), model_.avg_power_w(knob) * noise_factor(length)});
  }
  return out;
}

void JobRun::run_for(double knob, std::int64_t iterations) {
  const std::int64_t n = std::min(iterations, total_ - done_);
  if (n > 0) spend(knob, n, false);
}

void JobRun::run_rest(double knob) {
  if (done_ < total_) spend(knob, total_ - done_, false);
}

}  // namespace gpuopt::power
