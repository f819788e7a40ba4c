// The holding level (src/forecast/holding_level.hpp): what the phase forecast holds a phase at.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "holding_level.hpp"
#include "phases.hpp"

namespace gpuopt::forecast {
namespace {

using namespace std::chrono_literals;
using test::kNaN;

// 300 W with +-20 W of deterministic noise, and a one-step spike to 600 W at `spike`.
Segment noisy_flat(std::size_t steps, std::size_t spike) {
  return test::make_segment(steps, [spike](Channel c, std::size_t k) {
    if (c != Channel::power) return kNaN;
    if (k == spike) return 600.0F;
    std::mt19937 noise(static_cast<std::uint32_t>(k));
    return 300.0F + static_cast<float>(std::uniform_int_distribution<int>(-20, 20)(noise));
  });
}

WindowRef at(const Segment& s, std::size_t end) { return {test::history(s), end}; }

TEST(HoldingLevel, ANoisyFlatChannelIsHeldAtItsMedianNotAtASpike) {
  const Segment s = noisy_flat(1200, 1199);
  const float level = holding_level(at(s, 1199), Channel::power, 600, 100ms, 5);
  EXPECT_NEAR(level, 300, 15);
  // The phase forecaster holds it there too where no phases are found.
  ForecastSpec spec;
  spec.horizons = {5s};
  std::vector<float> out(spec.outputs());
  const WindowRef w = at(s, 1199);
  make_forecaster("phase", spec)->predict(std::span<const WindowRef>(&w, 1), out);
  EXPECT_FLOAT_EQ(out[index_of(Channel::power)], level);
}

TEST(HoldingLevel, ARampingChannelIsHeldAtItsLastValue) {
  // +1 W per step: a median lags by half its span, the last value only by the horizon.
  const Segment s = test::make_segment(1200, [](Channel c, std::size_t k) {
    return c == Channel::power ? 100.0F + static_cast<float>(k) : kNaN;
  });
  EXPECT_FLOAT_EQ(holding_level(at(s, 1199), Channel::power, 1299, 100ms, 5), 1299);
  EXPECT_FLOAT_EQ(holding_level(at(s, 1199), Channel::power, 1299, 100ms, 30), 1299);
}

TEST(HoldingLevel, WithoutHistoryToScoreTheCandidatesItIsTheLastValue) {
  const Segment s = noisy_flat(1200, 40);
  // 4 s of history cannot score a 5 s forecast.
  EXPECT_FLOAT_EQ(holding_level(at(s, 40), Channel::power, 600, 100ms, 5), 600);
  EXPECT_FLOAT_EQ(holding_level(at(s, 1199), Channel::power, 300, 100ms, 0), 300);         // a zero horizon
  EXPECT_TRUE(std::isnan(holding_level(at(s, 1199), Channel::gpu_util, kNaN, 100ms, 5)));  // absent
}

TEST(HoldingLevel, ItReadsNothingAfterTheWindowsEnd) {
  Segment s = noisy_flat(1200, 999);
  const float before = holding_level(at(s, 999), Channel::power, 600, 100ms, 30);
  for (std::size_t k = 1000; k < 1200; ++k) s.values[index_of(Channel::power)][k] = 5000;
  EXPECT_FLOAT_EQ(holding_level(at(s, 999), Channel::power, 600, 100ms, 30), before);
}

// 100 W with a 600 W burst of two steps every 6.2 s (62 steps), like LLM inference's token bursts.
Segment bursts(std::size_t steps) {
  return test::make_segment(steps, [](Channel c, std::size_t k) {
    if (c != Channel::power) return kNaN;
    return k % 62 < 2 ? 600.0F : 100.0F;
  });
}

// An origin of bursts() whose value 5 s (50 steps) ahead is a burst.
constexpr std::size_t kBurstAhead = 1128;
static_assert((kBurstAhead + 50) % 62 == 0);

TEST(HoldingLevel, APeriodicChannelHasItsPeriodAndARandomOrFlatOneNone) {
  EXPECT_EQ(level_period(at(bursts(1200), 1199), Channel::power, 100ms), 62U);
  EXPECT_EQ(level_period(at(noisy_flat(1200, 1199), 1199), Channel::power, 100ms), 0U);
  const Segment flat =
      test::make_segment(1200, [](Channel c, std::size_t) { return c == Channel::power ? 300.0F : kNaN; });
  EXPECT_EQ(level_period(at(flat, 1199), Channel::power, 100ms), 0U);
  EXPECT_EQ(level_period(at(bursts(1200), 500), Channel::power, 100ms), 0U);      // under 60 s of history
  EXPECT_EQ(level_period(at(bursts(1200), 1199), Channel::gpu_util, 100ms), 0U);  // absent
  // A gap (NaN) in the last minute: no period.
  Segment gap = bursts(1200);
  gap.values[index_of(Channel::power)][1100] = kNaN;
  EXPECT_EQ(level_period(at(gap, 1199), Channel::power, 100ms), 0U);
}

TEST(HoldingLevel, WithItsPeriodAPeriodicChannelIsForecastAtTheSamePointOfItsCycle) {
  const Segment s = bursts(1200);
  const auto& power = s.values[index_of(Channel::power)];
  const std::size_t end = kBurstAhead;
  const std::size_t period = level_period(at(s, end), Channel::power, 100ms);
  ASSERT_EQ(period, 62U);
  EXPECT_FLOAT_EQ(holding_level(at(s, end), Channel::power, power[end], 100ms, 5, period), 600);
  // Without the seasonal candidate the bursts are noise around 100 W.
  EXPECT_FLOAT_EQ(holding_level(at(s, end), Channel::power, power[end], 100ms, 5), 100);
  // It reads nothing after the window's end.
  Segment changed = s;
  for (std::size_t k = end + 1; k < 1200; ++k) changed.values[index_of(Channel::power)][k] = 5000;
  EXPECT_EQ(level_period(at(changed, end), Channel::power, 100ms), period);
  EXPECT_FLOAT_EQ(holding_level(at(changed, end), Channel::power, power[end], 100ms, 5, period), 600);
}

// An untrained seq:gru's forecast of `w` now, and once loaded from its model file without the
// (true) flag `key`, as files from before the flag are; and that file.
struct OldAndNew {
  std::vector<float> now;
  std::vector<float> before;
  ml::ModelFile file;
};
OldAndNew with_and_without(const ForecastSpec& spec, const WindowRef& w, const std::string& key) {
  OldAndNew r{std::vector<float>(spec.outputs()), std::vector<float>(spec.outputs()), {}};
  const auto seq = make_forecaster("seq:gru", spec);
  seq->save(r.file);
  EXPECT_EQ(r.file.meta.at(key), true);
  r.file.meta.erase(key);
  seq->predict(std::span<const WindowRef>(&w, 1), r.now);
  load_forecaster(r.file, "old.gpuopt")->predict(std::span<const WindowRef>(&w, 1), r.before);
  return r;
}

// Where no phases are found, the sequence models' per-horizon phase inputs (their base) are the
// holding level's change; model files from before it (no key) keep the last value.
TEST(HoldingLevel, TheSequenceModelsStartFromItAndOldFilesFromTheLastValue) {
  ForecastSpec spec;
  spec.horizons = {1s, 5s, 20s};
  const Segment s = noisy_flat(1200, 1199);
  const WindowRef w = at(s, 1199);
  ChannelValues last;
  ChannelValues scales;
  last.fill(kNaN);
  scales.fill(kNaN);
  last[index_of(Channel::power)] = 600;
  scales[index_of(Channel::power)] = 300;
  std::vector<float> f(phase_feature_count(spec));
  const std::size_t power = index_of(Channel::power) * (kPhaseForecastOffset + 3);
  phase_features(w, spec, last, scales, Holding::level, f);
  EXPECT_EQ(f[power], 0);  // no phases found
  EXPECT_NEAR(f[power + kPhaseForecastOffset + 1], (300.0F - 600.0F) / 300.0F, 0.05);
  phase_features(w, spec, last, scales, Holding::last_value, f);
  EXPECT_EQ(f[power + kPhaseForecastOffset + 1], 0);

  auto [now, before, file] = with_and_without(spec, w, "holding_level");
  // The untrained net's corrections are a fraction of a scale; the base moves 5 s ahead by ~300 W.
  const std::size_t p5 = index_of(Channel::power) * 3 + 1;
  EXPECT_GT(before[p5] - now[p5], 150);
  file.meta["holding_level"] = 1;
  EXPECT_THROW(load_forecaster(file, "bad.gpuopt"), ParseError);
}

// Model files record that they hold with the seasonal candidate; files from before it hold without.
TEST(HoldingLevel, ModelFilesFromBeforeTheSeasonalCandidateHoldWithoutIt) {
  ForecastSpec spec;
  spec.horizons = {5s};
  const Segment s = bursts(1200);
  const WindowRef w = at(s, kBurstAhead);
  auto [now, before, file] = with_and_without(spec, w, "seasonal_holding");
  // The bases are 600 and 100 W; the untrained net's corrections are a fraction of a scale.
  const std::size_t p5 = index_of(Channel::power);
  EXPECT_GT(now[p5] - before[p5], 250);
  file.meta["seasonal_holding"] = "yes";
  EXPECT_THROW(load_forecaster(file, "bad.gpuopt"), ParseError);
}

}  // namespace
}  // namespace gpuopt::forecast
