#include "gpuopt/forecast/anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "anomaly_rules.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::uint64_t kDeviationSeconds = 30;  // look-back of the deviation rule
constexpr std::size_t kMinScored = 10;           // forecasts scored in it, at least
constexpr double kDeviationShare = 0.8;          // share of them outside their interval
constexpr int kRearmChecks = 60;                 // a rule re-arms after its condition failed this long

// NaN bounds (no interval) compare false: never outside.
bool outside(const ForecastPoint& p, float observed) {
  return !std::isnan(observed) && (observed < p.lower || observed > p.upper);
}

}  // namespace

std::vector<ForecastPoint> with_intervals(const Forecaster& model, const WindowRef& w,
                                          std::span<const float> pred, std::optional<double> mem_total_mib) {
  const ForecastSpec& spec = model.spec();
  const ChannelValues scales = window_scales(w, spec.window);
  const Calibration& cal = model.calibration();
  std::vector<ForecastPoint> out(spec.outputs());
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    const auto channel = static_cast<Channel>(c);
    for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
      const std::size_t i = c * spec.horizons.size() + h;
      // Uncalibrated: no interval (NaN bounds), so the deviation rule never fires on it.
      const float hw = cal.half_width.empty() ? std::numeric_limits<float>::quiet_NaN()
                                              : cal.width(i, at_scale_floor(channel, scales[c])) * scales[c];
      // The bounds are clamped like the forecast, so a GPU near idle is not told -0.2 % utilization.
      const auto clamp = [&](float v) {
        v = clamp_to_range(channel, v);
        return channel == Channel::mem_used && mem_total_mib ? std::min(v, static_cast<float>(*mem_total_mib))
                                                             : v;
      };
      out[i] = {clamp(pred[i]), clamp(pred[i] - hw), clamp(pred[i] + hw)};
    }
  }
  return out;
}

std::size_t anomaly_history_steps(std::chrono::milliseconds step) {
  return static_cast<std::size_t>(std::chrono::minutes(5) / step) + 1;
}

AnomalyDetector::AnomalyDetector(const ForecastSpec& spec, std::optional<double> mem_total_mib)
    : spec_(spec),
      mem_total_mib_(mem_total_mib),
      deviation_horizon_(0),
      check_every_(std::max<std::size_t>(1, std::chrono::milliseconds(1000) / spec.step)) {
  for (std::size_t h = 1; h < spec.horizons.size(); ++h) {
    const auto distance = [](std::chrono::milliseconds d) {
      return std::abs((d - std::chrono::seconds(5)).count());
    };
    if (distance(spec.horizons[h]) < distance(spec.horizons[deviation_horizon_])) deviation_horizon_ = h;
  }
}

std::vector<Anomaly> AnomalyDetector::step(const WindowRef& w, EpochMs time_ms,
                                           std::span<const ForecastPoint> forecast) {
  ++steps_;
  score_due_forecasts(w);
  if (!forecast.empty()) {
    const std::size_t horizons = spec_.horizons.size();
    pending_.push_back({steps_ + spec_.horizon_steps(deviation_horizon_),
                        forecast[index_of(Channel::power) * horizons + deviation_horizon_],
                        forecast[index_of(Channel::gpu_util) * horizons + deviation_horizon_]});
  }
  std::vector<Anomaly> out;
  if (steps_ % check_every_ == 0) check(w, time_ms, out);
  return out;
}

void AnomalyDetector::score_due_forecasts(const WindowRef& w) {
  for (; !pending_.empty() && pending_.front().due_step <= steps_; pending_.pop_front()) {
    const Pending& p = pending_.front();
    if (p.due_step < steps_) continue;
    outside_.push_back({steps_, outside(p.power, w.history.values[index_of(Channel::power)][w.end]) ||
                                    outside(p.util, w.history.values[index_of(Channel::gpu_util)][w.end])});
  }
  const std::uint64_t span = kDeviationSeconds * check_every_;
  while (!outside_.empty() && outside_.front().first + span <= steps_) outside_.pop_front();
}

bool AnomalyDetector::deviation_holds() const {
  // Sustained: scored forecasts cover (nearly) the whole look-back, and most of them missed.
  const std::uint64_t span = kDeviationSeconds * check_every_;
  if (outside_.size() < kMinScored || outside_.front().first + span > steps_ + span / 6) return false;
  const auto missed = static_cast<double>(
      std::count_if(outside_.begin(), outside_.end(), [](const auto& e) { return e.second; }));
  return missed >= kDeviationShare * static_cast<double>(outside_.size());
}

bool AnomalyDetector::update(RuleId id, bool holds, int needed_checks) {
  Rule& r = rules_[id];
  if (!holds) {
    r.holding = 0;
    if (r.fired && ++r.clear >= kRearmChecks) r.fired = false;
    return false;
  }
  r.clear = 0;
  if (r.fired || ++r.holding < needed_checks) return false;
  r.fired = true;
  return true;
}

void AnomalyDetector::check(const WindowRef& w, EpochMs time_ms, std::vector<Anomaly>& out) {
  const std::size_t sps = check_every_;
  const auto emit = [&](const char* kind, const RuleCheck& c) {
    out.push_back({kind, time_ms, c.severity, c.message, c.details_json});
  };
  if (update(kDeviation, deviation_holds(), 1)) {
    emit(
        "anomaly.forecast_deviation",
        {true,
         fmt::format("power/utilization outside the forecast's calibrated interval for most of the last {} s",
                     kDeviationSeconds),
         nlohmann::json{{"horizon_s", static_cast<double>(spec_.horizons[deviation_horizon_].count()) / 1000}}
             .dump()});
  }
  const RuleCheck collapse = check_collapse(w, sps);
  if (update(kCollapse, collapse.holds, 15)) emit("anomaly.collapse", collapse);
  const RuleCheck clock = check_clock_drop(w, sps);
  // Busy GPUs change power phase for tens of seconds (prefill/decode, data loading): a throttle
  // must last longer than that.
  if (update(kClockDrop, clock.holds, 30)) emit("anomaly.clock_drop", clock);
  const RuleCheck stuck = check_stuck_util(w, sps);
  if (update(kStuck, stuck.holds, 1)) emit("anomaly.stuck_util", stuck);
  const RuleCheck memory = check_memory_growth(w, sps, mem_total_mib_);
  if (update(kMemory, memory.holds, 1)) emit("anomaly.memory_growth", memory);
}

}  // namespace gpuopt::forecast
