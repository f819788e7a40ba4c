// The level phases (src/forecast/phases.hpp) and the `phase` forecaster built on them.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "phases.hpp"

namespace gpuopt::forecast {
namespace {

using namespace std::chrono_literals;
using test::kNaN;

// Power at 100 ms steps: 20 s at 500 W, then 10 s at 150 W, repeated; utilization 90 / 10 %.
Segment compute_and_checkpoint(std::size_t steps) {
  return test::make_segment(steps, [](Channel c, std::size_t k) {
    const bool high = k % 300 < 200;
    if (c == Channel::power) return high ? 500.0F : 150.0F;
    if (c == Channel::gpu_util) return high ? 90.0F : 10.0F;
    return kNaN;
  });
}

WindowRef at(const Segment& s, std::size_t end) { return {test::history(s), end}; }

TEST(Phases, FindsTheCurrentPhaseAndTheDurationsOfTheLastOnes) {
  const Segment s = compute_and_checkpoint(1200);
  // 15 s into the fourth compute phase (steps 900..1099).
  const PhaseState p = find_phases(at(s, 1049), Channel::power, 500, 100ms);
  ASSERT_TRUE(p.found);
  EXPECT_DOUBLE_EQ(p.elapsed_s, 15);
  EXPECT_DOUBLE_EQ(p.same_s, 20);
  EXPECT_DOUBLE_EQ(p.other_s, 10);
  EXPECT_FLOAT_EQ(p.other_level, 150);
}

// A checkpoint phase of short bursts (400 W one step in four, 100 W otherwise): its 1 s means are
// 160-190 W, values it never reads; its typical sample is 100 W.
TEST(Phases, TheOtherPhasesSampleLevelIsTheMedianOfItsSamplesNotOfItsMeans) {
  const Segment s = test::make_segment(1200, [](Channel c, std::size_t k) {
    if (c != Channel::power) return kNaN;
    if (k % 300 < 200) return 500.0F;
    return k % 4 == 0 ? 400.0F : 100.0F;
  });
  const PhaseState p = find_phases(at(s, 1049), Channel::power, 500, 100ms);
  ASSERT_TRUE(p.found);
  EXPECT_FLOAT_EQ(p.other_level, 100);
  // Model files from before the sample levels keep the median of the 1 s means.
  const PhaseState before = find_phases(at(s, 1049), Channel::power, 500, 100ms, Holding::level);
  ASSERT_TRUE(before.found);
  EXPECT_GE(before.other_level, 160);  // 2 or 3 bursts per second
  // The phase rule (the current rule) forecasts the checkpoint at the sample level.
  ForecastSpec spec;
  spec.horizons = {8s};
  std::vector<float> out(spec.outputs());
  const WindowRef w = at(s, 1049);
  make_forecaster("phase", spec)->predict(std::span<const WindowRef>(&w, 1), out);
  EXPECT_FLOAT_EQ(out[index_of(Channel::power)], 100);
}

TEST(Phases, TheForecastSwitchesWhenThePhaseIsDueToEndAndSwitchesBack) {
  const Segment s = compute_and_checkpoint(1200);
  const PhaseState p = find_phases(at(s, 1049), Channel::power, 500, 100ms);
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 5), 500);   // the compute phase has 5 s left
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 6), 150);   // checkpoint
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 15), 150);  // its last second
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 16), 500);  // compute again
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 36), 150);  // and the next checkpoint
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 3600 * 24.0 + 6), phase_forecast(p, 500, 6));  // 2880 whole cycles
}

// Power at 100 ms steps: phases of (level W, length in steps) repeating `cycle`.
using Phase = std::pair<float, std::size_t>;
Segment repeating(const std::array<Phase, 4>& cycle, std::size_t steps) {
  std::vector<float> power;
  while (power.size() < steps) {
    for (const auto& [level, length] : cycle) power.insert(power.end(), length, level);
  }
  return test::make_segment(steps,
                            [&](Channel c, std::size_t k) { return c == Channel::power ? power[k] : kNaN; });
}

// Phases whose lengths alternate, compute 10 s, 20 s and checkpoint 6 s, 12 s: "as long as the last
// one of its kind" is wrong for every phase.
Segment alternating_lengths(std::size_t steps) {
  return repeating({{{500, 100}, {150, 60}, {500, 200}, {150, 120}}}, steps);
}

TEST(Phases, AConsistentSwitchHoldsUpInTheLookback) {
  const Segment s = compute_and_checkpoint(1200);
  const std::array<double, 3> horizons{1, 5, 6};
  const PhaseState p = find_phases(at(s, 1049), Channel::power, 500, 100ms, Holding::tested_switch, horizons);
  ASSERT_TRUE(p.found);
  EXPECT_TRUE(p.unswitched_s.empty());
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 6), 150);
}

// Where the switch the phases predict forecast worse than the holding median at the past seconds
// where they predicted it, the forecast holds: this took the `phase` model's error on the A100
// inference traces' power at 5 s from 0.746 to 0.730 of persistence's (docs/forecast.md).
TEST(Phases, ASwitchThatFailedInTheLookbackIsNotForecast) {
  const Segment s = alternating_lengths(2400);
  // 8 s into a 20 s compute phase (steps 1600..1799) after a 10 s one: the phases say it ends in
  // 2 s, and so did they in every earlier long phase, wrongly.
  const WindowRef w = at(s, 1679);
  ASSERT_FLOAT_EQ(s.values[index_of(Channel::power)][1679 + 50], 500);
  const std::array<double, 1> horizons{5};
  for (const Holding tested_by : {Holding::tested_switch, Holding::tested_per_kind}) {
    const PhaseState tested = find_phases(w, Channel::power, 500, 100ms, tested_by, horizons);
    ASSERT_TRUE(tested.found);
    EXPECT_EQ(tested.unswitched_s, std::vector<double>{5});
    EXPECT_FLOAT_EQ(phase_forecast(tested, 500, 5), 500);
  }
  // Model files from before the tested switch still switch.
  const PhaseState untested = find_phases(w, Channel::power, 500, 100ms, Holding::seasonal, horizons);
  EXPECT_FLOAT_EQ(phase_forecast(untested, 500, 5), 150);
  // And so does the phase rule, through phase_features.
  ForecastSpec spec;
  spec.horizons = {5s};
  std::vector<float> out(spec.outputs());
  make_forecaster("phase", spec)->predict(std::span<const WindowRef>(&w, 1), out);
  EXPECT_FLOAT_EQ(out[index_of(Channel::power)], 500);
}

// Compute phases of 10 s and 20 s in turn, every checkpoint 6 s. The end of a compute phase cannot
// be told from the last one; the end of a checkpoint can.
Segment regular_checkpoints(std::size_t steps) {
  return repeating({{{500, 100}, {150, 60}, {500, 200}, {150, 60}}}, steps);
}

// The switch out of a compute phase failed in the lookback and the switch out of a checkpoint held
// up: tested per kind of phase, the forecast holds in compute and switches in a checkpoint. Tested
// over both kinds together (model files of stop 20) the checkpoints' evidence outweighs, and the
// forecast switches in compute too. This took the `phase` rule's H100 power error at 5 s from 0.818
// to 0.793 of persistence's (docs/forecast.md).
TEST(Phases, TheSwitchIsTestedPerKindOfPhase) {
  const Segment s = regular_checkpoints(2200);
  // The phase forecast 5 s ahead of step `end`, holding at `held`.
  const auto ahead_5s = [&](std::size_t end, Holding holding, float held) {
    const std::array<double, 1> horizons{5};
    const PhaseState p = find_phases(at(s, end), Channel::power, 500, 100ms, holding, horizons);
    EXPECT_TRUE(p.found);
    return phase_forecast(p, held, 5);
  };
  // 8 s into a 20 s compute phase (steps 1840..2039) after a 10 s one.
  ASSERT_FLOAT_EQ(s.values[index_of(Channel::power)][1919 + 50], 500);
  EXPECT_FLOAT_EQ(ahead_5s(1919, Holding::tested_per_kind, 500), 500);
  EXPECT_FLOAT_EQ(ahead_5s(1919, Holding::tested_switch, 500), 150);
  // 3 s into the next checkpoint (steps 2040..2099): compute follows in 3 s.
  ASSERT_FLOAT_EQ(s.values[index_of(Channel::power)][2069 + 50], 500);
  EXPECT_FLOAT_EQ(ahead_5s(2069, Holding::tested_per_kind, 150), 500);
}

// The test's evidence alone, for callers that refresh it less often than they forecast, and the
// evidence kept by the caller (WindowRef::switch_evidence) standing in for the test at `end`.
TEST(Phases, TheSwitchEvidenceKeptByTheCallerIsUsed) {
  const std::array<double, 2> horizons{5, 6};
  const Segment failing = alternating_lengths(2400);
  const SwitchEvidence e = switch_evidence(at(failing, 1679), Channel::power, 500, 100ms, horizons);
  ASSERT_EQ(e.switched_error.size(), 2U);
  ASSERT_EQ(e.held_error.size(), 2U);
  EXPECT_GT(e.switched_error[0][1], e.held_error[0][1]);  // out of compute phases, 5 s ahead
  const Segment consistent = compute_and_checkpoint(1200);
  WindowRef w = at(consistent, 1049);
  const SwitchEvidence held_up = switch_evidence(w, Channel::power, 500, 100ms, horizons);
  ASSERT_EQ(held_up.switched_error.size(), 2U);
  EXPECT_LT(held_up.switched_error[1][1], held_up.held_error[1][1]);
  EXPECT_FLOAT_EQ(
      phase_forecast(find_phases(w, Channel::power, 500, 100ms, Holding::tested_per_kind, horizons), 500, 6),
      150);
  // The failing stream's evidence, kept by the caller, holds the consistent stream's forecast.
  ChannelSwitchEvidence kept;
  kept[index_of(Channel::power)] = e;
  w.switch_evidence = &kept;
  const PhaseState p = find_phases(w, Channel::power, 500, 100ms, Holding::tested_per_kind, horizons);
  ASSERT_TRUE(p.found);
  EXPECT_EQ(p.unswitched_s, (std::vector<double>{5, 6}));
  EXPECT_FLOAT_EQ(phase_forecast(p, 500, 6), 500);
  // No evidence: too little history, or no spread; and a channel without evidence switches.
  EXPECT_TRUE(switch_evidence(at(failing, 5), Channel::power, 500, 100ms, horizons).switched_error.empty());
  EXPECT_TRUE(
      switch_evidence(at(failing, 1679), Channel::power, kNaN, 100ms, horizons).switched_error.empty());
  kept[index_of(Channel::power)] = {};
  EXPECT_FLOAT_EQ(
      phase_forecast(find_phases(w, Channel::power, 500, 100ms, Holding::tested_per_kind, horizons), 500, 6),
      150);
}

// The 5 s power forecast of an untrained seq:gru at `w` as saved now, and with `key` dropped from
// its model file (a file from before that key). A key that is not a boolean is refused.
std::pair<float, float> power_now_and_before(const WindowRef& w, const std::string& key) {
  ForecastSpec spec;
  spec.horizons = {5s};
  const auto seq = make_forecaster("seq:gru", spec);
  ml::ModelFile file;
  seq->save(file);
  EXPECT_EQ(file.meta.at(key), true);
  file.meta.erase(key);
  std::vector<float> now(spec.outputs());
  std::vector<float> before(spec.outputs());
  seq->predict(std::span<const WindowRef>(&w, 1), now);
  load_forecaster(file, "old.gpuopt")->predict(std::span<const WindowRef>(&w, 1), before);
  file.meta[key] = "no";
  EXPECT_THROW(load_forecaster(file, "bad.gpuopt"), ParseError);
  return {now[index_of(Channel::power)], before[index_of(Channel::power)]};
}

// Model files record the tested switch; files from before it (no key) switch wherever the phases
// say. Where the phases are found, the phase forecast stands: no correction is added.
TEST(Phases, ModelFilesFromBeforeTheTestedSwitchSwitchUntested) {
  const Segment s = alternating_lengths(2400);
  const auto [now, before] = power_now_and_before(at(s, 1679), "tested_switch");
  EXPECT_FLOAT_EQ(now, 500);
  EXPECT_FLOAT_EQ(before, 150);
}

// Model files record the test per kind of phase; files of stop 20 (no key) test both kinds together.
TEST(Phases, ModelFilesFromBeforeTheTestPerKindTestBothKindsTogether) {
  const Segment s = regular_checkpoints(2200);
  const auto [now, before] = power_now_and_before(at(s, 1919), "switch_tested_per_kind");
  EXPECT_FLOAT_EQ(now, 500);
  EXPECT_FLOAT_EQ(before, 150);
}

// One whole phase of the current kind is trusted: 6 s into the second checkpoint (steps 500..599;
// the first is steps 200..299), compute follows in 4 s. The rules before whole phases wanted two
// phases of the kind, and counted the cut first one.
TEST(Phases, OneWholePhaseOfTheCurrentKindIsTrusted) {
  const Segment s = compute_and_checkpoint(1200);
  const PhaseState p = find_phases(at(s, 559), Channel::power, 500, 100ms);
  ASSERT_TRUE(p.found);
  EXPECT_DOUBLE_EQ(p.same_s, 10);
  EXPECT_DOUBLE_EQ(p.other_s, 20);
  EXPECT_FLOAT_EQ(phase_forecast(p, 150, 5), 500);
  EXPECT_FALSE(find_phases(at(s, 559), Channel::power, 500, 100ms, Holding::tested_per_kind).found);
  // 15 s into the third compute phase (steps 600..799) the cut first one counts for the old rules.
  EXPECT_TRUE(find_phases(at(s, 749), Channel::power, 500, 100ms, Holding::tested_per_kind).found);
}

// The first run of the lookback is no phase: its start was not seen. An idle GPU whose job ended
// is not expected back at work after as long as it idled before the job (H100 `ckpt500`: trusted,
// that cut idle forecast the job back 30 s ahead for a minute and a half after it ended).
TEST(Phases, TheFirstRunOfTheLookbackIsNoPhase) {
  // 60 s idle at 150 W (the history starts in it), a 20 s job at 500 W, idle again.
  const Segment s = test::make_segment(1500, [](Channel c, std::size_t k) {
    return c == Channel::power ? (k >= 600 && k < 800 ? 500.0F : 150.0F) : kNaN;
  });
  EXPECT_FALSE(find_phases(at(s, 999), Channel::power, 500, 100ms).found);  // 20 s into the idle
  // The same once the history holds a whole idle phase before the job: the idle is forecast to end
  // after as long as that one (10 s; the job came back after it).
  const Segment whole = test::make_segment(1500, [](Channel c, std::size_t k) {
    const bool busy = (k >= 100 && k < 300) || (k >= 400 && k < 600);
    return c == Channel::power ? (busy ? 500.0F : 150.0F) : kNaN;
  });
  const PhaseState p = find_phases(at(whole, 649), Channel::power, 500, 100ms);
  ASSERT_TRUE(p.found);
  EXPECT_DOUBLE_EQ(p.same_s, 10);
  EXPECT_FLOAT_EQ(phase_forecast(p, 150, 6), 500);
}

// A seq:gru model file with its corrections weighed 0, forecasting 5 s ahead: its forecasts are
// the phase forecast of the rule the file records.
ml::ModelFile uncorrected_seq_file() {
  ForecastSpec spec;
  spec.horizons = {5s};
  ml::ModelFile file;
  make_forecaster("seq:gru", spec)->save(file);
  file.meta["correction_weights"] = std::vector<float>(spec.outputs(), 0.0F);
  return file;
}

// The forecast of channel c by a model file (of uncorrected_seq_file) at w.
float forecast_of(const ml::ModelFile& file, const WindowRef& w, Channel c = Channel::power) {
  const auto model = load_forecaster(file, "m.gpuopt");
  std::vector<float> out(model->spec().outputs());
  model->predict(std::span<const WindowRef>(&w, 1), out);
  return out[index_of(c) * model->spec().horizons.size()];
}

// Model files record whole phases; files of stop 21 (no key) count the cut first run and trust two
// phases of the current kind.
TEST(Phases, ModelFilesFromBeforeWholePhasesTrustTwo) {
  const Segment s = compute_and_checkpoint(1200);
  const WindowRef w = at(s, 559);  // as in OneWholePhaseOfTheCurrentKindIsTrusted
  ml::ModelFile file = uncorrected_seq_file();
  EXPECT_EQ(file.meta.at("whole_phases"), true);
  EXPECT_FLOAT_EQ(forecast_of(file, w), 500);
  file.meta.erase("whole_phases");
  EXPECT_FLOAT_EQ(forecast_of(file, w), 150);
  file.meta["whole_phases"] = 1;
  EXPECT_THROW(load_forecaster(file, "bad.gpuopt"), ParseError);
}

// A job's startup (10 s at 75 W, 4 s blips at 127 W) for 189 s, then its compute at 540 W.
// The compute phase is "high" like the blips, but at a level the pattern never had: how long the
// blips lasted says nothing about it.
Segment startup_then_compute(std::size_t steps) {
  return test::make_segment(steps, [](Channel c, std::size_t k) {
    const float power = k >= 1890 ? 540.0F : (k % 140 < 100 ? 75.0F : 127.0F);
    return c == Channel::power ? power : kNaN;
  });
}

TEST(Phases, APhaseAtALevelThePatternNeverHadIsNotForecast) {
  const Segment s = startup_then_compute(2200);
  const WindowRef w = at(s, 1890 + 29);  // 3 s into the compute, 7 s after the last blip
  EXPECT_FALSE(find_phases(w, Channel::power, 200, 100ms).found);
  const PhaseState before = find_phases(w, Channel::power, 200, 100ms, Holding::whole_phases);
  ASSERT_TRUE(before.found);
  EXPECT_FLOAT_EQ(phase_forecast(before, 540, 5), 75);  // "the blip ends in 1 s"
  // Blips at their own level are still the pattern.
  EXPECT_TRUE(find_phases(at(s, 1400 + 119), Channel::power, 200, 100ms).found);  // 2 s into one
}

// Model files record known levels; files of stops 22 to 24 (no key) trust a phase at any level.
TEST(Phases, ModelFilesFromBeforeKnownLevelsTrustAnyLevel) {
  const Segment s = startup_then_compute(2200);
  const WindowRef w = at(s, 1890 + 29);
  ml::ModelFile file = uncorrected_seq_file();
  EXPECT_EQ(file.meta.at("known_levels"), true);
  EXPECT_NEAR(forecast_of(file, w), 540, 1);
  file.meta.erase("known_levels");
  EXPECT_FLOAT_EQ(forecast_of(file, w), 75);
}

// Memory used moves only when a process allocates or frees it: the rule holds it at its last value.
// A median of the last seconds (which wins on sample noise) lags a job's load ramp.
TEST(Phases, MemoryUsedIsHeldAtItsLastValue) {
  // 90 s at 5000 MiB with +-50 MiB of sample noise, then a 3 s load ramp of 100 MiB per step.
  const Segment s = test::make_segment(930, [](Channel c, std::size_t k) {
    if (c != Channel::mem_used) return kNaN;
    if (k >= 900) return 5000.0F + 100.0F * static_cast<float>(k - 899);
    return 5000.0F + static_cast<float>((k * 7919) % 101) - 50.0F;
  });
  const WindowRef w = at(s, 929);
  ml::ModelFile file = uncorrected_seq_file();
  EXPECT_EQ(file.meta.at("memory_held"), true);
  EXPECT_FLOAT_EQ(forecast_of(file, w, Channel::mem_used), 8000);
  file.meta.erase("memory_held");  // files from before it: the median of the last second
  EXPECT_FLOAT_EQ(forecast_of(file, w, Channel::mem_used), 7600);
}

TEST(Phases, NothingIsFoundWithoutRepeatedPhases) {
  const Segment flat =
      test::make_segment(1200, [](Channel c, std::size_t) { return c == Channel::power ? 300.0F : kNaN; });
  EXPECT_FALSE(find_phases(at(flat, 1199), Channel::power, 300, 100ms).found);
  // An absent channel (NaN scale).
  EXPECT_FALSE(find_phases(at(flat, 1199), Channel::gpu_util, kNaN, 100ms).found);
  // The only compute phase before the current one began before the history: its length is unknown.
  const Segment s = compute_and_checkpoint(1200);
  EXPECT_FALSE(find_phases(at(s, 349), Channel::power, 500, 100ms).found);
  // A spread under a fifth of the scale is ripple, not phases.
  EXPECT_FALSE(find_phases(at(s, 1049), Channel::power, 2000, 100ms).found);
}

TEST(Phases, APhaseOutlastingItsPatternIsNotForecast) {
  // The fourth compute phase never ends.
  const Segment s = test::make_segment(1600, [](Channel c, std::size_t k) {
    const bool high = k >= 900 || k % 300 < 200;
    return c == Channel::power ? (high ? 500.0F : 150.0F) : kNaN;
  });
  EXPECT_TRUE(find_phases(at(s, 900 + 219), Channel::power, 500, 100ms).found);  // 22 s: within the 2 s slack
  EXPECT_FALSE(find_phases(at(s, 900 + 249), Channel::power, 500, 100ms).found);  // 25 s
}

TEST(Phases, TheLookbackIsBounded) {
  EXPECT_EQ(phase_history_steps(100ms), 9000U);
  EXPECT_EQ(phase_history_steps(1s), 900U);
  EXPECT_EQ(phase_history_steps(2h), 1U);
  // A coarse grid (one step per 5 s) still finds the phases.
  const Segment s = test::make_segment(60, [](Channel c, std::size_t k) {
    return c == Channel::power ? (k % 6 < 4 ? 500.0F : 150.0F) : kNaN;
  });
  const PhaseState p = find_phases(at(s, 49), Channel::power, 500, 5s);
  ASSERT_TRUE(p.found);
  EXPECT_DOUBLE_EQ(p.same_s, 20);
  EXPECT_DOUBLE_EQ(p.other_s, 10);
}

TEST(Phases, ThePhaseForecasterPredictsTheSwitchAndPersistenceDoesNot) {
  ForecastSpec spec;
  spec.horizons = {1s, 5s, 20s};
  const auto model = make_forecaster("phase", spec);
  const Segment s = compute_and_checkpoint(1200);
  const WindowRef w = at(s, 1109);  // 1 s into the checkpoint of steps 1100..1199
  std::vector<float> out(spec.outputs());
  model->predict(std::span<const WindowRef>(&w, 1), out);
  // 9 s of checkpoint left: 1 s and 5 s ahead still 150 W, 20 s ahead compute.
  const std::size_t power = index_of(Channel::power) * 3;
  EXPECT_FLOAT_EQ(out[power + 0], 150);
  EXPECT_FLOAT_EQ(out[power + 1], 150);
  EXPECT_FLOAT_EQ(out[power + 2], 500);
  // A channel the trace lacks stays absent.
  EXPECT_TRUE(std::isnan(out[index_of(Channel::mem_used) * 3]));
}

// The sequence models' corrections to found phases hurt on traces they had not seen (they doubled
// the phase forecast's 5 s error on a held-out H100 trace): where phases are found, the phase
// forecast stands; elsewhere the network forecasts.
TEST(Phases, WhereThePhasesAreFoundTheSequenceModelsLeaveThePhaseForecast) {
  ForecastSpec spec;
  spec.horizons = {1s, 5s, 20s};
  const auto seq = make_forecaster("seq:gru", spec);  // untrained: its corrections are noise
  const auto rule = make_forecaster("phase", spec);
  const Segment s = compute_and_checkpoint(1200);
  const auto forecast = [&](const Forecaster& model, const WindowRef& w) {
    std::vector<float> out(spec.outputs());
    model.predict(std::span<const WindowRef>(&w, 1), out);
    return out;
  };
  const std::size_t power = index_of(Channel::power) * 3;
  const WindowRef found = at(s, 1109);
  EXPECT_EQ(forecast(*seq, found)[power + 1], forecast(*rule, found)[power + 1]);
  EXPECT_EQ(forecast(*seq, found)[power + 2], 500);
  const WindowRef not_yet = at(s, 250);  // the checkpoint has not completed twice
  EXPECT_NE(forecast(*seq, not_yet)[power + 1], forecast(*rule, not_yet)[power + 1]);

  // A model file from before the rule (no key) corrects the phase forecast too.
  ml::ModelFile file;
  seq->save(file);
  EXPECT_EQ(file.meta.at("phases_stand"), true);
  file.meta.erase("phases_stand");
  const auto old = load_forecaster(file, "old.gpuopt");
  EXPECT_NE(forecast(*old, found)[power + 2], 500);
  file.meta["phases_stand"] = "yes";
  EXPECT_THROW(load_forecaster(file, "bad.gpuopt"), ParseError);
}

}  // namespace
}  // namespace gpuopt::forecast
