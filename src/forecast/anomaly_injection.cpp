// The labelled-anomaly generator of anomaly_eval.hpp.
#include <algorithm>
#include <cmath>
#include <random>

#include "anomaly_rules.hpp"
#include "gpuopt/forecast/anomaly_eval.hpp"
#include "models.hpp"
#include "quantile.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::size_t kAnomalyS = 120;
constexpr std::size_t kLeakRampS = 300;
constexpr std::size_t kLeadS = 90;   // history before the start (the "active" test looks at it)
constexpr std::size_t kTrailS = 60;  // room after the end, where a detection still counts

std::size_t duration_s(InjectedKind kind) {
  return kind == InjectedKind::memory_leak ? kLeakRampS : kAnomalyS;
}

float percentile(const std::vector<float>& x, double q) {
  std::vector<float> finite;
  for (const float v : x) {
    if (!std::isnan(v)) finite.push_back(v);
  }
  return lower_quantile(finite, q);
}

bool fits(const Segment& s, InjectedKind kind, std::size_t start, std::size_t sps) {
  const WindowRef w{history_of(s), start - 1};
  if (kind == InjectedKind::memory_leak) return !std::isnan(s.values[index_of(Channel::mem_used)][start]);
  const float util_before = range_mean(w, Channel::gpu_util, kLeadS * sps, 0);
  if (std::isnan(util_before) || util_before < 50) return false;
  if (kind != InjectedKind::stuck_util) return !std::isnan(s.values[index_of(Channel::power)][start]);
  const float reading = s.values[index_of(Channel::gpu_util)][start];
  return reading >= 1 && reading <= 99;
}

void apply(Segment& s, InjectedKind kind, std::size_t start, std::size_t end, std::size_t sps) {
  auto& power = s.values[index_of(Channel::power)];
  auto& util = s.values[index_of(Channel::gpu_util)];
  switch (kind) {
    case InjectedKind::stuck_util:
      std::fill(util.begin() + static_cast<std::ptrdiff_t>(start),
                util.begin() + static_cast<std::ptrdiff_t>(end), util[start]);
      break;
    case InjectedKind::collapse: {
      const WindowRef before{history_of(s), start - 1};
      const float idle =
          std::min(percentile(power, 0.05), 0.2F * range_mean(before, Channel::power, kLeadS * sps, 0));
      auto& mem_util = s.values[index_of(Channel::mem_util)];
      for (std::size_t k = start; k < end; ++k) {
        power[k] = idle;
        util[k] = 0;
        if (!std::isnan(mem_util[k])) mem_util[k] = 0;
      }
      break;
    }
    case InjectedKind::memory_leak: {
      auto& mem = s.values[index_of(Channel::mem_used)];
      const float total = 0.15F * percentile(mem, 1.0);
      for (std::size_t k = start; k < s.size(); ++k) {
        const float ramp =
            static_cast<float>(std::min(k - start, end - start)) / static_cast<float>(end - start);
        if (!std::isnan(mem[k])) mem[k] += total * ramp;
      }
      break;
    }
    case InjectedKind::clock_drop: {
      auto& clock = s.values[index_of(Channel::sm_clock)];
      for (std::size_t k = start; k < end; ++k) {
        power[k] *= 0.7F;
        clock[k] *= 0.6F;  // NaN (not recorded) stays NaN
      }
      break;
    }
  }
}

}  // namespace

std::string_view injected_kind_name(InjectedKind kind) {
  switch (kind) {
    case InjectedKind::stuck_util:
      return "stuck_util";
    case InjectedKind::collapse:
      return "collapse";
    case InjectedKind::memory_leak:
      return "memory_leak";
    case InjectedKind::clock_drop:
      return "clock_drop";
  }
  return "";
}

Trace inject_anomalies(const Trace& trace, InjectedKind kind, std::uint64_t seed,
                       std::vector<Injection>& injections) {
  Trace out = trace;
  for (std::size_t g = 0; g < out.gpus.size(); ++g) {
    for (std::size_t si = 0; si < out.gpus[g].segments.size(); ++si) {
      Segment& s = out.gpus[g].segments[si];
      const std::size_t sps = std::max<std::size_t>(1, std::chrono::milliseconds(1000) / s.step);
      const std::size_t length = duration_s(kind) * sps;
      const std::size_t lead = kLeadS * sps;
      const std::size_t room = length + kTrailS * sps;
      if (s.size() <= lead + room) continue;
      std::vector<std::size_t> starts;
      for (std::size_t k = lead; k + room < s.size(); k += sps) {
        if (fits(s, kind, k, sps)) starts.push_back(k);
      }
      if (starts.empty()) continue;
      std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(kind) * 7919 + g * 131 + si);
      const std::size_t start = starts[std::uniform_int_distribution<std::size_t>(0, starts.size() - 1)(rng)];
      apply(s, kind, start, start + length, sps);
      injections.push_back({g, si, start, start + length, kind});
    }
  }
  return out;
}

}  // namespace gpuopt::forecast
