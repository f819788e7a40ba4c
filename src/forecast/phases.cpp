#include "phases.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "holding_level.hpp"

namespace gpuopt::forecast {
namespace {

constexpr double kBucketS = 1.0;      // phase resolution
constexpr double kThresholdS = 120;   // the levels come from the last 2 minutes
constexpr double kMinPhaseS = 3;      // shorter runs only split phases
constexpr double kSlackS = 2;         // a phase this much longer than expected breaks the pattern
constexpr double kMinSpread = 0.2;    // of the window scale, between the 10th and 90th percentile
constexpr int kCompletedToTrust = 2;  // earlier phases of the current kind

std::size_t bucket_steps(std::chrono::milliseconds step) {
  const auto per_bucket = static_cast<std::size_t>(kBucketS * 1000.0 / static_cast<double>(step.count()));
  return std::max<std::size_t>(1, per_bucket);
}

// q-quantile (nearest lower rank) of `values` (reordered).
float quantile(std::vector<float>& values, double q) {
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

struct Run {
  bool high;
  std::size_t from;  // first bucket
  std::size_t length;
};

}  // namespace

std::size_t phase_history_steps(std::chrono::milliseconds step) {
  const auto steps = std::chrono::duration_cast<std::chrono::milliseconds>(kPhaseLookback) / step;
  return static_cast<std::size_t>(std::max<std::int64_t>(1, steps));
}

PhaseState find_phases(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                       Holding holding) {
  PhaseState state;
  if (std::isnan(scale)) return state;
  const std::size_t per_bucket = bucket_steps(step);
  const double bucket_s = static_cast<double>(per_bucket * static_cast<std::size_t>(step.count())) / 1000.0;
  const std::size_t available = (w.end + 1) / per_bucket;
  const std::size_t count = std::min(available, phase_history_steps(step) / per_bucket);
  if (count < 2) return state;

  // Bucket means, oldest first; a bucket without values holds the previous one.
  const auto& series = w.history.values[index_of(c)];
  std::vector<float> buckets;
  buckets.reserve(count);
  const std::size_t first = w.end + 1 - count * per_bucket;
  for (std::size_t b = 0; b < count; ++b) {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t k = first + b * per_bucket; k < first + (b + 1) * per_bucket; ++k) {
      if (std::isnan(series[k])) continue;
      sum += series[k];
      ++n;
    }
    if (n > 0) {
      buckets.push_back(static_cast<float>(sum / static_cast<double>(n)));
    } else if (!buckets.empty()) {
      buckets.push_back(buckets.back());
    }
  }
  if (buckets.size() < 2) return state;

  const auto recent = std::min(buckets.size(), static_cast<std::size_t>(kThresholdS / bucket_s));
  std::vector<float> tail(buckets.end() - static_cast<std::ptrdiff_t>(recent), buckets.end());
  const float low = quantile(tail, 0.1);
  const float high = quantile(tail, 0.9);
  if (high - low < kMinSpread * scale) return state;
  const float threshold = (low + high) / 2;

  std::vector<Run> runs;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    const bool is_high = buckets[b] > threshold;
    if (runs.empty() || runs.back().high != is_high) {
      runs.push_back({is_high, b, 1});
    } else {
      ++runs.back().length;
    }
  }
  const Run& current = runs.back();
  const auto min_length = static_cast<std::size_t>(std::ceil(kMinPhaseS / bucket_s - 1e-9));
  int completed_same = 0;
  const Run* last_same = nullptr;
  const Run* last_other = nullptr;
  for (std::size_t r = runs.size() - 1; r-- > 0;) {
    if (runs[r].length < min_length) continue;
    if (runs[r].high == current.high) {
      if (last_same == nullptr) last_same = &runs[r];
      ++completed_same;
    } else if (last_other == nullptr) {
      last_other = &runs[r];
    }
  }
  if (completed_same < kCompletedToTrust || last_other == nullptr) return state;
  state.elapsed_s = static_cast<double>(current.length) * bucket_s;
  state.same_s = static_cast<double>(last_same->length) * bucket_s;
  state.other_s = static_cast<double>(last_other->length) * bucket_s;
  if (state.elapsed_s > state.same_s + kSlackS) return state;
  std::vector<float> means(
      buckets.begin() + static_cast<std::ptrdiff_t>(last_other->from),
      buckets.begin() + static_cast<std::ptrdiff_t>(last_other->from + last_other->length));
  std::vector<float> samples;
  if (holding == Holding::seasonal) {
    const std::size_t from = first + last_other->from * per_bucket;
    const std::size_t to = first + (last_other->from + last_other->length) * per_bucket;
    const std::size_t stride = std::max<std::size_t>(1, (to - from) / kPhaseLevelSamples);
    for (std::size_t k = from; k < to; k += stride) {
      if (!std::isnan(series[k])) samples.push_back(series[k]);
    }
  }
  state.other_level = samples.empty() ? quantile(means, 0.5) : quantile(samples, 0.5);
  state.found = true;
  return state;
}

bool phase_switched(const PhaseState& s, double horizon_s) {
  if (!s.found) return false;
  const double remaining = s.same_s - s.elapsed_s;
  if (remaining < 0 || horizon_s <= remaining) return false;
  // Past the current phase: the other phase, then the current kind again, and so on.
  const double into_cycle = std::fmod(horizon_s - remaining, s.other_s + s.same_s);
  return into_cycle > 0 && into_cycle <= s.other_s;
}

float phase_forecast(const PhaseState& s, float holding, double horizon_s) {
  return phase_switched(s, horizon_s) ? s.other_level : holding;
}

void phase_features(const WindowRef& w, const ForecastSpec& spec, const ChannelValues& last,
                    const ChannelValues& scales, Holding holding, std::span<float> out) {
  const std::size_t per_channel = kPhaseForecastOffset + spec.horizons.size();
  std::fill(out.begin(), out.end(), 0.0F);
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    if (std::isnan(last[c]) || std::isnan(scales[c])) continue;
    const auto channel = static_cast<Channel>(c);
    const PhaseState s = find_phases(w, channel, scales[c], spec.step, holding);
    float* f = out.data() + c * per_channel;
    if (s.found) {
      f[0] = 1;
      f[1] = (s.other_level - last[c]) / scales[c];
      f[2] = static_cast<float>(std::clamp((s.same_s - s.elapsed_s) / 60.0, -2.0, 2.0));
      f[3] = static_cast<float>(std::clamp(s.other_s / 60.0, 0.0, 5.0));
    }
    if (!s.found && holding == Holding::last_value) continue;
    const std::size_t period = holding != Holding::seasonal ? 0
                               : w.periods != nullptr       ? (*w.periods)[c]
                                                            : level_period(w, channel, spec.step);
    for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
      const double horizon_s = std::chrono::duration<double>(spec.horizons[h]).count();
      // The holding level is not needed where the forecast has switched to the other phase.
      const bool hold = holding != Holding::last_value && !phase_switched(s, horizon_s);
      const float held = hold ? holding_level(w, channel, last[c], spec.step, horizon_s, period) : last[c];
      f[kPhaseForecastOffset + h] = (phase_forecast(s, held, horizon_s) - last[c]) / scales[c];
    }
  }
}

}  // namespace gpuopt::forecast
