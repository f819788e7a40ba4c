#include "phases.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "holding_level.hpp"
#include "quantile.hpp"

namespace gpuopt::forecast {
namespace {

constexpr double kBucketS = 1.0;            // phase resolution
constexpr double kThresholdS = 120;         // the levels come from the last 2 minutes
constexpr double kMinPhaseS = 3;            // shorter runs only split phases
constexpr double kSlackS = 2;               // a phase this much longer than expected breaks the pattern
constexpr double kMinSpread = 0.2;          // of the window scale, between the 10th and 90th percentile
constexpr int kCompletedToTrust = 1;        // earlier whole phases of the current kind ...
constexpr int kCompletedToTrustBefore = 2;  // ... or phases, for the rules before whole_phases
constexpr double kTestHoldingS = 1;         // the switch is tested against the median of at least this
// A phase whose level so far is further than this share of the distance between the last two
// phases' levels from the last phase of its kind is not of that kind's pattern (Holding::known_levels).
constexpr double kLevelTolerance = 0.5;

std::size_t bucket_steps(std::chrono::milliseconds step) {
  const auto per_bucket = static_cast<std::size_t>(kBucketS * 1000.0 / static_cast<double>(step.count()));
  return std::max<std::size_t>(1, per_bucket);
}

struct Run {
  bool high;
  std::size_t from;  // first bucket
  std::size_t length;
};

// A channel's phases over the lookback at 1 s resolution.
struct PhaseHistory {
  std::span<const float> series;  // the channel on the grid
  std::size_t first = 0;          // grid step of the first bucket
  std::size_t per_bucket = 1;     // grid steps per bucket
  double bucket_s = kBucketS;
  std::size_t min_length = 1;  // buckets of a run that counts as a phase (kMinPhaseS)
  std::vector<float> buckets;  // bucket means, oldest first
  std::vector<Run> runs;
  std::vector<std::size_t> run_of;  // per bucket
  // Per run and kind (0 low, 1 high): the last earlier run of at least min_length (-1: none) and
  // how many such runs precede it.
  std::vector<std::array<std::ptrdiff_t, 2>> previous;
  std::vector<std::array<int, 2>> completed;
  std::vector<float> levels;   // per run, run_level's of Holding::seasonal once asked for (NaN before)
  std::vector<double> prefix;  // prefix[b]: sum of buckets [0, b)
  Holding holding = kCurrentHolding;
  double mean(std::size_t from, std::size_t to) const {  // of buckets [from, to), to > from
    return (prefix[to] - prefix[from]) / static_cast<double>(to - from);
  }
  double mean(const Run& run) const { return mean(run.from, run.from + run.length); }
};

// Runs of equal kind against `threshold`, and per run the phases before it.
void split_runs(PhaseHistory& p, float threshold) {
  for (std::size_t b = 0; b < p.buckets.size(); ++b) {
    const bool is_high = p.buckets[b] > threshold;
    if (p.runs.empty() || p.runs.back().high != is_high) {
      p.runs.push_back({is_high, b, 1});
    } else {
      ++p.runs.back().length;
    }
    p.run_of.push_back(p.runs.size() - 1);
  }
  p.previous.assign(p.runs.size(), {-1, -1});
  p.completed.assign(p.runs.size(), {0, 0});
  for (std::size_t r = 1; r < p.runs.size(); ++r) {
    p.previous[r] = p.previous[r - 1];
    p.completed[r] = p.completed[r - 1];
    const Run& before = p.runs[r - 1];
    // The first run began before the lookback: its length is unknown.
    const bool cut = r == 1 && p.holding >= Holding::whole_phases;
    if (before.length < p.min_length || cut) continue;
    p.previous[r][before.high] = static_cast<std::ptrdiff_t>(r - 1);
    ++p.completed[r][before.high];
  }
}

// The phases as they stood at the end of bucket b, without the other level; found when they are
// trusted there. `other` gets the other kind's last run.
PhaseState state_at(const PhaseHistory& p, std::size_t b, std::size_t& other) {
  PhaseState state;
  const std::size_t r = p.run_of[b];
  const bool kind = p.runs[r].high;
  const std::ptrdiff_t same = p.previous[r][kind];
  const std::ptrdiff_t other_run = p.previous[r][!kind];
  const int to_trust = p.holding >= Holding::whole_phases ? kCompletedToTrust : kCompletedToTrustBefore;
  if (p.completed[r][kind] < to_trust || other_run < 0) return state;
  other = static_cast<std::size_t>(other_run);
  state.elapsed_s = static_cast<double>(b + 1 - p.runs[r].from) * p.bucket_s;
  state.same_s = static_cast<double>(p.runs[static_cast<std::size_t>(same)].length) * p.bucket_s;
  state.other_s = static_cast<double>(p.runs[other].length) * p.bucket_s;
  state.found = state.elapsed_s <= state.same_s + kSlackS;
  if (state.found && p.holding >= Holding::known_levels) {
    const double same_level = p.mean(p.runs[static_cast<std::size_t>(same)]);
    const double spread = std::abs(same_level - p.mean(p.runs[other]));
    state.found = std::abs(p.mean(p.runs[r].from, b + 1) - same_level) <= kLevelTolerance * spread;
  }
  return state;
}

// The level of run r: the median of its samples (at most kPhaseLevelSamples, evenly spaced), or of
// its bucket means for the rules from before the sample levels.
float run_level(const PhaseHistory& p, std::size_t r, Holding holding) {
  const Run& run = p.runs[r];
  std::vector<float> values;
  if (holding >= Holding::seasonal) {
    const std::size_t from = p.first + run.from * p.per_bucket;
    const std::size_t to = p.first + (run.from + run.length) * p.per_bucket;
    const std::size_t stride = std::max<std::size_t>(1, (to - from) / kPhaseLevelSamples);
    for (std::size_t k = from; k < to; k += stride) {
      if (!std::isnan(p.series[k])) values.push_back(p.series[k]);
    }
  }
  if (values.empty()) {
    values.assign(p.buckets.begin() + static_cast<std::ptrdiff_t>(run.from),
                  p.buckets.begin() + static_cast<std::ptrdiff_t>(run.from + run.length));
  }
  return lower_quantile(values, 0.5);
}

// Per horizon of `horizons_s` and kind of the phase switched out of: at the ends of the buckets
// where the phases as they stood put the value that far ahead in the other kind of phase, the
// absolute errors summed of the other phase's level and of the holding median (of the last
// max(kTestHoldingS, horizon / 5)). Scores only values at or before `end`.
SwitchEvidence evidence_in(PhaseHistory& p, std::size_t end, std::chrono::milliseconds step,
                           std::span<const double> horizons_s) {
  struct Test {
    std::size_t horizon_steps;
    std::size_t median_steps;
  };
  std::vector<Test> tests;
  for (const double h : horizons_s) {
    tests.push_back({steps_of(h, step), std::max(steps_of(kTestHoldingS, step), steps_of(h, step) / 5)});
  }
  SwitchEvidence e;
  e.switched_error.assign(tests.size(), {0, 0});
  e.held_error.assign(tests.size(), {0, 0});
  p.levels.assign(p.runs.size(), std::numeric_limits<float>::quiet_NaN());
  for (std::size_t b = 0; b + 1 < p.buckets.size(); ++b) {
    const std::size_t t = p.first + (b + 1) * p.per_bucket - 1;
    std::size_t other = 0;
    const PhaseState past = state_at(p, b, other);
    if (!past.found) continue;
    const bool kind = p.runs[p.run_of[b]].high;
    std::size_t median_steps = 0;  // of `held`, shared by horizons with the same median
    float held = 0;
    for (std::size_t i = 0; i < tests.size(); ++i) {
      const Test& test = tests[i];
      if (t + test.horizon_steps > end || !phase_switched(past, horizons_s[i])) continue;
      if (test.median_steps != median_steps) {
        median_steps = test.median_steps;
        held = median_before(p.series, t, median_steps);
      }
      const float truth = p.series[t + test.horizon_steps];
      if (std::isnan(truth) || std::isnan(held)) continue;
      if (std::isnan(p.levels[other])) p.levels[other] = run_level(p, other, Holding::seasonal);
      e.switched_error[i][kind] += std::abs(truth - p.levels[other]);
      e.held_error[i][kind] += std::abs(truth - held);
    }
  }
  return e;
}

// The horizons of `horizons_s` at which the evidence says hold, for a current phase of kind `kind`:
// where holding erred less in sum (over both kinds with Holding::tested_switch, over the current
// kind with tested_per_kind and later); no evidence switches.
std::vector<double> unswitched_by(const SwitchEvidence& e, std::span<const double> horizons_s,
                                  Holding holding, bool kind) {
  std::vector<double> out;
  if (e.switched_error.size() != horizons_s.size()) return out;
  for (std::size_t i = 0; i < horizons_s.size(); ++i) {
    const auto& switched = e.switched_error[i];
    const auto& held = e.held_error[i];
    const bool holds = holding >= Holding::tested_per_kind ? held[kind] < switched[kind]
                                                           : held[0] + held[1] < switched[0] + switched[1];
    if (holds) out.push_back(horizons_s[i]);
  }
  return out;
}

// Reads the phases of channel c up to w.end into p; false where none can be read (too little
// history, or a spread below kMinSpread of `scale`).
bool read_phases(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step, Holding holding,
                 PhaseHistory& p) {
  if (std::isnan(scale)) return false;
  p.holding = holding;
  p.series = w.history.values[index_of(c)];
  p.per_bucket = bucket_steps(step);
  p.bucket_s = static_cast<double>(p.per_bucket * static_cast<std::size_t>(step.count())) / 1000.0;
  p.min_length = static_cast<std::size_t>(std::ceil(kMinPhaseS / p.bucket_s - 1e-9));
  const std::size_t available = (w.end + 1) / p.per_bucket;
  const std::size_t count = std::min(available, phase_history_steps(step) / p.per_bucket);
  if (count < 2) return false;

  // Bucket means, oldest first; a bucket without values holds the previous one.
  p.buckets.reserve(count);
  p.first = w.end + 1 - count * p.per_bucket;
  for (std::size_t b = 0; b < count; ++b) {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t k = p.first + b * p.per_bucket; k < p.first + (b + 1) * p.per_bucket; ++k) {
      if (std::isnan(p.series[k])) continue;
      sum += p.series[k];
      ++n;
    }
    if (n > 0) {
      p.buckets.push_back(static_cast<float>(sum / static_cast<double>(n)));
    } else if (!p.buckets.empty()) {
      p.buckets.push_back(p.buckets.back());
    }
  }
  if (p.buckets.size() < 2) return false;
  p.prefix.assign(1, 0.0);
  for (const float v : p.buckets) p.prefix.push_back(p.prefix.back() + v);
  // Buckets before the first value were skipped: the first bucket starts that much later.
  p.first += (count - p.buckets.size()) * p.per_bucket;

  const auto recent = std::min(p.buckets.size(), static_cast<std::size_t>(kThresholdS / p.bucket_s));
  std::vector<float> tail(p.buckets.end() - static_cast<std::ptrdiff_t>(recent), p.buckets.end());
  const float low = lower_quantile(tail, 0.1);
  const float high = lower_quantile(tail, 0.9);
  if (high - low < kMinSpread * scale) return false;
  split_runs(p, (low + high) / 2);
  return true;
}

}  // namespace

std::size_t phase_history_steps(std::chrono::milliseconds step) {
  const auto steps = std::chrono::duration_cast<std::chrono::milliseconds>(kPhaseLookback) / step;
  return static_cast<std::size_t>(std::max<std::int64_t>(1, steps));
}

PhaseState find_phases(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                       Holding holding, std::span<const double> horizons_s) {
  PhaseHistory p;
  if (!read_phases(w, c, scale, step, holding, p)) return {};
  std::size_t other = 0;
  PhaseState state = state_at(p, p.buckets.size() - 1, other);
  if (!state.found) return state;
  state.other_level = run_level(p, other, holding);
  if (holding >= Holding::tested_switch) {
    const bool kind = p.runs.back().high;
    state.unswitched_s = unswitched_by(w.switch_evidence != nullptr ? (*w.switch_evidence)[index_of(c)]
                                                                    : evidence_in(p, w.end, step, horizons_s),
                                       horizons_s, holding, kind);
  }
  return state;
}

SwitchEvidence switch_evidence(const WindowRef& w, Channel c, float scale, std::chrono::milliseconds step,
                               std::span<const double> horizons_s, Holding holding) {
  PhaseHistory p;
  if (!read_phases(w, c, scale, step, holding, p)) return {};
  return evidence_in(p, w.end, step, horizons_s);
}

void refresh_phase_memory(const WindowRef& w, const ForecastSpec& spec, Holding holding,
                          ChannelPeriods& periods, ChannelSwitchEvidence& evidence) {
  const ChannelValues scales = window_scales(w, spec.window);
  const std::vector<double> horizons_s = spec.horizons_s();
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    const auto channel = static_cast<Channel>(c);
    periods[c] = static_cast<std::uint32_t>(level_period(w, channel, spec.step));
    evidence[c] = holding >= Holding::tested_switch
                      ? switch_evidence(w, channel, scales[c], spec.step, horizons_s, holding)
                      : SwitchEvidence{};
  }
}

bool phase_switched(const PhaseState& s, double horizon_s) {
  if (!s.found || std::ranges::find(s.unswitched_s, horizon_s) != s.unswitched_s.end()) return false;
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
  const std::vector<double> horizons_s = spec.horizons_s();
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    if (std::isnan(last[c]) || std::isnan(scales[c])) continue;
    const auto channel = static_cast<Channel>(c);
    const PhaseState s = find_phases(w, channel, scales[c], spec.step, holding, horizons_s);
    float* f = out.data() + c * per_channel;
    if (s.found) {
      f[0] = 1;
      f[1] = (s.other_level - last[c]) / scales[c];
      f[2] = static_cast<float>(std::clamp((s.same_s - s.elapsed_s) / 60.0, -2.0, 2.0));
      f[3] = static_cast<float>(std::clamp(s.other_s / 60.0, 0.0, 5.0));
    }
    if (!s.found && holding == Holding::last_value) continue;
    const std::size_t period = holding < Holding::seasonal ? 0
                               : w.periods != nullptr      ? (*w.periods)[c]
                                                           : level_period(w, channel, spec.step);
    for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
      const double horizon_s = horizons_s[h];
      // The holding level is not needed where the forecast has switched to the other phase.
      const bool hold = holding != Holding::last_value && !phase_switched(s, horizon_s) &&
                        !(holding >= Holding::memory_held && channel == Channel::mem_used);
      const float held = hold ? holding_level(w, channel, last[c], spec.step, horizon_s, period) : last[c];
      f[kPhaseForecastOffset + h] = (phase_forecast(s, held, horizon_s) - last[c]) / scales[c];
    }
  }
}

}  // namespace gpuopt::forecast
