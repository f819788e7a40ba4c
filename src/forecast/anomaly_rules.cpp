#include "anomaly_rules.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "quantile.hpp"

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Collapse: the "before" level is the mean over the minute ending 30 s ago, "now" the last 10 s.
// (The clock-drop rule uses medians over its own windows, see check_clock_drop.)
constexpr std::size_t kBaselineFromS = 90;
constexpr std::size_t kBaselineToS = 30;
constexpr std::size_t kRecentS = 10;
constexpr float kActiveUtilPct = 50;

struct Levels {
  float before = kNaN;
  float now = kNaN;
};

Levels levels(const WindowRef& w, Channel c, std::size_t sps) {
  return {range_mean(w, c, kBaselineFromS * sps, kBaselineToS * sps), range_mean(w, c, kRecentS * sps, 0)};
}

// Steps (end - from_back, end - to_back] of one channel; empty when the history is shorter.
std::span<const float> range_steps(const WindowRef& w, Channel c, std::size_t from_back,
                                   std::size_t to_back) {
  if (w.end + 1 < from_back || to_back >= from_back) return {};
  return w.history.values[index_of(c)].subspan(w.end + 1 - from_back, from_back - to_back);
}

std::string details(Channel c, const Levels& l) {
  return nlohmann::json{{"channel", channel_info(c).name}, {"before", l.before}, {"now", l.now}}.dump();
}

}  // namespace

float range_mean(const WindowRef& w, Channel c, std::size_t from_back, std::size_t to_back) {
  double sum = 0;
  std::size_t n = 0;
  for (const float x : range_steps(w, c, from_back, to_back)) {
    if (std::isnan(x)) continue;
    sum += x;
    ++n;
  }
  return n == 0 ? kNaN : static_cast<float>(sum / static_cast<double>(n));
}

float range_median(const WindowRef& w, Channel c, std::size_t from_back, std::size_t to_back) {
  const std::span<const float> steps = range_steps(w, c, from_back, to_back);
  std::vector<float> v;
  v.reserve(steps.size());
  std::copy_if(steps.begin(), steps.end(), std::back_inserter(v), [](float x) { return !std::isnan(x); });
  return lower_quantile(v, 0.5);
}

RuleCheck check_collapse(const WindowRef& w, std::size_t sps) {
  const Levels power = levels(w, Channel::power, sps);
  const Levels util = levels(w, Channel::gpu_util, sps);
  const Levels mem = levels(w, Channel::mem_used, sps);
  if (std::isnan(power.before) || std::isnan(power.now)) return {};
  const bool has_util = !std::isnan(util.before) && !std::isnan(util.now);
  const bool active = has_util ? util.before >= kActiveUtilPct : power.before > 0;
  const bool power_fell = power.now <= 0.5F * power.before;
  const bool util_fell = !has_util || util.now <= 0.3F * util.before;
  // A job that ended frees its memory; a stalled one keeps it.
  const bool memory_held = std::isnan(mem.before) || std::isnan(mem.now) || mem.now >= 0.8F * mem.before;
  if (!(active && power_fell && util_fell && memory_held)) return {};
  return {
      true,
      fmt::format("power collapsed from {:.0f} W to {:.0f} W{} while memory stayed allocated", power.before,
                  power.now,
                  has_util ? fmt::format(" (utilization {:.0f} % -> {:.0f} %)", util.before, util.now) : ""),
      details(Channel::power, power), "error"};
}

RuleCheck check_clock_drop(const WindowRef& w, std::size_t sps) {
  // Busy-GPU power is spiky (iteration ripple, checkpoint and data-loading bursts): medians, not
  // means. The baseline ends 60 s back so that it still predates a throttle when the 20 s "now"
  // window plus the 30 s hold (anomaly.cpp) have passed.
  constexpr std::size_t kBeforeFromS = 120;
  constexpr std::size_t kBeforeToS = 60;
  constexpr std::size_t kNowS = 20;
  const auto median_levels = [&](Channel c) {
    return Levels{range_median(w, c, kBeforeFromS * sps, kBeforeToS * sps),
                  range_median(w, c, kNowS * sps, 0)};
  };
  const Levels util = median_levels(Channel::gpu_util);
  if (std::isnan(util.before) || std::isnan(util.now)) return {};
  if (util.before < kActiveUtilPct || util.now < 0.85F * util.before) return {};
  const Levels clock = median_levels(Channel::sm_clock);
  if (!std::isnan(clock.before) && !std::isnan(clock.now)) {
    if (clock.now > 0.8F * clock.before) return {};
    return {
        true,
        fmt::format("SM clock dropped from {:.0f} MHz to {:.0f} MHz at {:.0f} % utilization (thermal-like)",
                    clock.before, clock.now, util.now),
        details(Channel::sm_clock, clock)};
  }
  // Without clock readings a throttled busy GPU shows as power falling while utilization holds.
  const Levels power = median_levels(Channel::power);
  if (std::isnan(power.before) || std::isnan(power.now) || power.now > 0.75F * power.before) return {};
  return {
      true,
      fmt::format("power dropped from {:.0f} W to {:.0f} W at {:.0f} % utilization (thermal-like clock drop)",
                  power.before, power.now, util.now),
      details(Channel::power, power)};
}

RuleCheck check_stuck_util(const WindowRef& w, std::size_t sps) {
  const std::size_t n = 60 * sps;
  if (w.end + 1 < n) return {};
  const auto& util = w.history.values[index_of(Channel::gpu_util)];
  const auto& power = w.history.values[index_of(Channel::power)];
  float lo = std::numeric_limits<float>::infinity();
  float hi = -lo;
  double sum = 0;
  double sq = 0;
  std::size_t np = 0;
  for (std::size_t k = w.end + 1 - n; k <= w.end; ++k) {
    if (std::isnan(util[k])) return {};
    lo = std::min(lo, util[k]);
    hi = std::max(hi, util[k]);
    if (!std::isnan(power[k])) {
      sum += power[k];
      sq += static_cast<double>(power[k]) * power[k];
      ++np;
    }
  }
  // 0 % and 100 % are what idle and saturated GPUs really report for minutes.
  if (hi != lo || lo <= 0 || lo >= 100 || np < n / 2) return {};
  const double mean = sum / static_cast<double>(np);
  const double sd = std::sqrt(std::max(0.0, sq / static_cast<double>(np) - mean * mean));
  if (sd < 0.02 * mean) return {};
  return {true,
          fmt::format("utilization stuck at {:.0f} % for 60 s while power varies (sd {:.1f} W)", lo, sd),
          nlohmann::json{{"channel", "gpu_util"}, {"value", lo}, {"power_sd_w", sd}}.dump()};
}

RuleCheck check_memory_growth(const WindowRef& w, std::size_t sps, std::optional<double> mem_total_mib) {
  constexpr std::size_t kBuckets = 10;
  const std::size_t bucket = 30 * sps;
  if (w.end + 1 < kBuckets * bucket) return {};
  std::array<float, kBuckets> mean{};
  for (std::size_t b = 0; b < kBuckets; ++b) {
    mean[b] = range_mean(w, Channel::mem_used, (kBuckets - b) * bucket, (kBuckets - b - 1) * bucket);
    if (std::isnan(mean[b])) return {};
  }
  const float level = std::max(mean.back(), 1024.0F);
  const float eps = 0.0005F * level;
  int up = 0;
  for (std::size_t b = 1; b < kBuckets; ++b) {
    if (mean[b] < mean[b - 1] - eps) return {};
    if (mean[b] > mean[b - 1] + eps) ++up;
  }
  const float growth = mean.back() - mean.front();
  if (up < 7 || growth < 0.02F * level) return {};
  const double rate_mib_s = growth / (static_cast<double>(kBuckets - 1) * 30.0);
  nlohmann::json d{{"channel", "mem_used"}, {"growth_mib", growth}, {"rate_mib_s", rate_mib_s}};
  std::string limit;
  std::string severity = "warning";
  if (mem_total_mib && *mem_total_mib > mean.back()) {
    const double eta_s = (*mem_total_mib - mean.back()) / rate_mib_s;
    d["seconds_to_limit"] = eta_s;
    limit = fmt::format(", {:.0f} min to the {:.0f} MiB limit at this rate", eta_s / 60, *mem_total_mib);
    if (eta_s < 600) severity = "error";
  }
  return {true,
          fmt::format("memory used grew steadily by {:.0f} MiB in 5 min ({:.1f} MiB/s){}", growth, rate_mib_s,
                      limit),
          d.dump(), severity};
}

}  // namespace gpuopt::forecast
