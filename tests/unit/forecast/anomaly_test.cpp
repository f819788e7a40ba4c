// The anomaly rules on synthetic series: each fires on its pattern, once, and stays quiet on
// normal behaviour (steady load, a job that ends and frees its memory, idle and saturated GPUs).
#include "gpuopt/forecast/anomaly.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "forecast/anomaly_rules.hpp"
#include "forecast_test_util.hpp"
#include "gpuopt/forecast/anomaly_eval.hpp"
#include "gpuopt/forecast/evaluation.hpp"
#include "gpuopt/forecast/training.hpp"

namespace gpuopt::forecast {
namespace {

using test::kNaN;

constexpr std::size_t kSps = 10;  // 100 ms steps

// A busy GPU with iteration ripple; `edit(channel, step, value)` changes it.
Segment busy(std::size_t seconds, const std::function<float(Channel, std::size_t, float)>& edit = {}) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 1);
  return test::make_segment(seconds * kSps, [&](Channel c, std::size_t k) {
    float v = kNaN;
    if (c == Channel::power) v = 400 + 30 * std::sin(static_cast<float>(k)) + 5 * noise(rng);
    if (c == Channel::gpu_util) v = k % 7 == 0 ? 97.0F : 100.0F;
    if (c == Channel::mem_used) v = 60000;
    return edit ? edit(c, k, v) : v;
  });
}

std::vector<std::string> kinds(const Segment& s) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  const Trace trace{"t.csv", {{DeviceInfo{}, {s}}}};
  std::vector<std::string> out;
  for (const auto& e : detect_anomalies(*model, trace)) out.push_back(e.anomaly.kind);
  return out;
}

bool in(std::size_t k, std::size_t from_s, std::size_t to_s) { return k >= from_s * kSps && k < to_s * kSps; }

// Intervals around a forecast stay within what the channel can read.
TEST(ForecastIntervals, AreClippedToTheChannelsRange) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  Calibration cal;
  cal.half_width.assign(model->spec().outputs(), 0.5F);  // half a window scale: +-50 % of utilization
  model->set_calibration(cal);
  const Segment s =
      busy(200, [](Channel c, std::size_t, float v) { return c == Channel::gpu_util ? 30.0F : v; });
  const WindowRef w{test::history(s), 1999};
  std::vector<float> pred(model->spec().outputs());
  model->predict(std::span<const WindowRef>(&w, 1), pred);
  const auto points = with_intervals(*model, w, pred);
  const std::size_t horizons = model->spec().horizons.size();
  const ForecastPoint& util = points[index_of(Channel::gpu_util) * horizons];
  EXPECT_FLOAT_EQ(util.value, 30.0F);
  EXPECT_FLOAT_EQ(util.lower, 0.0F);  // 30 - 50, clipped
  EXPECT_FLOAT_EQ(util.upper, 80.0F);
  const ForecastPoint& power = points[index_of(Channel::power) * horizons];
  EXPECT_GE(power.lower, 0.0F);
  EXPECT_TRUE(std::isnan(points[index_of(Channel::temperature) * horizons].value));  // no such channel
}

// A GPU cannot use more memory than it has: with its size known, neither the memory forecast nor
// its upper bound goes past it (a job start in calibration made the shipped 30 s bound ~11x the
// memory in use on an 80 GB H100).
TEST(ForecastIntervals, MemoryStaysWithinTheGpusMemory) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  Calibration cal;
  cal.half_width.assign(model->spec().outputs(), 0.5F);  // +-50 % of the 60000 MiB in use
  model->set_calibration(cal);
  const Segment s = busy(200);
  const WindowRef w{test::history(s), 1999};
  std::vector<float> pred(model->spec().outputs());
  model->predict(std::span<const WindowRef>(&w, 1), pred);
  const std::size_t mem = index_of(Channel::mem_used) * model->spec().horizons.size();

  const ForecastPoint unknown = with_intervals(*model, w, pred)[mem];
  EXPECT_FLOAT_EQ(unknown.upper, 90000.0F);  // size unknown: nothing to cap at

  const ForecastPoint h100 = with_intervals(*model, w, pred, 81559.0)[mem];
  EXPECT_FLOAT_EQ(h100.value, 60000.0F);
  EXPECT_FLOAT_EQ(h100.lower, 30000.0F);
  EXPECT_FLOAT_EQ(h100.upper, 81559.0F);

  const ForecastPoint small = with_intervals(*model, w, pred, 40960.0)[mem];  // more in use than it has
  EXPECT_FLOAT_EQ(small.value, 40960.0F);
  EXPECT_FLOAT_EQ(small.upper, 40960.0F);
}

// A GPU near idle may start a job any second, and its memory then jumps by dozens of scale floors;
// a busy GPU's memory moves by its own size at most. Calibrated together, the idle windows' errors
// set the busy GPU's bound 30 s ahead at ~40x the memory in use (1.4 TB on an 80 GB H100).
TEST(ForecastIntervals, IdleAndBusyWindowsAreCalibratedApart) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  // 150 s idle at 300 MiB (under the 1024 MiB floor), then a job holding 40000 MiB for 300 s.
  const Segment s = test::make_segment(450 * kSps, [](Channel c, std::size_t k) {
    return c == Channel::mem_used ? (k < 150 * kSps ? 300.0F : 40000.0F) : kNaN;
  });
  const std::vector<Trace> traces{{"t.csv", {{DeviceInfo{}, {s}}}}};
  calibrate(*model, evaluation_windows(traces, model->spec(), 10));
  const std::size_t mem_30s = index_of(Channel::mem_used) * model->spec().horizons.size() + 2;
  const Calibration& cal = model->calibration();
  EXPECT_NEAR(cal.half_width_at_floor[mem_30s], (40000.0F - 300.0F) / 1024.0F, 0.01F);
  EXPECT_FLOAT_EQ(cal.half_width[mem_30s], 0.0F);

  const auto upper_30s = [&](std::size_t end) {
    const WindowRef w{test::history(s), end};
    std::vector<float> pred(model->spec().outputs());
    model->predict(std::span<const WindowRef>(&w, 1), pred);
    return with_intervals(*model, w, pred)[mem_30s].upper;
  };
  EXPECT_FLOAT_EQ(upper_30s(400 * kSps), 40000.0F);  // busy and steady
  EXPECT_FLOAT_EQ(upper_30s(100 * kSps), 40000.0F);  // idle: a job may start

  // Files from before the split hold one width, used for both.
  Calibration old;
  old.half_width = {0.5F};
  EXPECT_FLOAT_EQ(old.width(0, true), 0.5F);
  EXPECT_FLOAT_EQ(old.width(0, false), 0.5F);
}

TEST(AnomalyRules, SteadyLoadIsQuiet) { EXPECT_TRUE(kinds(busy(600)).empty()); }

TEST(AnomalyRules, CollapseWithMemoryHeldFiresOnce) {
  const Segment s = busy(600, [](Channel c, std::size_t k, float v) {
    if (!in(k, 300, 420)) return v;
    if (c == Channel::power) return 60.0F;
    if (c == Channel::gpu_util) return 0.0F;
    return v;
  });
  const auto found = kinds(s);
  EXPECT_EQ(std::count(found.begin(), found.end(), "anomaly.collapse"), 1) << ::testing::PrintToString(found);
}

TEST(AnomalyRules, AJobThatEndsAndFreesMemoryIsNotACollapse) {
  const Segment s = busy(600, [](Channel c, std::size_t k, float v) {
    if (k < 300 * kSps) return v;
    if (c == Channel::power) return 60.0F;
    if (c == Channel::gpu_util) return 0.0F;
    if (c == Channel::mem_used) return 5.0F;
    return v;
  });
  const auto found = kinds(s);
  EXPECT_EQ(std::count(found.begin(), found.end(), "anomaly.collapse"), 0) << ::testing::PrintToString(found);
}

TEST(AnomalyRules, PowerDropAtFullUtilizationIsAClockDrop) {
  const Segment s = busy(600, [](Channel c, std::size_t k, float v) {
    return c == Channel::power && in(k, 300, 420) ? 0.65F * v : v;
  });
  const auto found = kinds(s);
  EXPECT_EQ(std::count(found.begin(), found.end(), "anomaly.clock_drop"), 1)
      << ::testing::PrintToString(found);
}

// Busy load with short bursts (a 2 s spike to 2.5x every 15 s, e.g. data loading): the mean of a
// short window swings with each burst, the median does not.
Segment bursty(std::size_t seconds, const std::function<float(Channel, std::size_t, float)>& edit = {}) {
  return busy(seconds, [&](Channel c, std::size_t k, float v) {
    if (c == Channel::power) v = (k / kSps) % 15 < 2 ? 750.0F : 300.0F;
    return edit ? edit(c, k, v) : v;
  });
}

std::size_t count(const std::vector<std::string>& found, const std::string& kind) {
  return static_cast<std::size_t>(std::count(found.begin(), found.end(), kind));
}

TEST(AnomalyRules, RangeMedianIgnoresSpikesAndGaps) {
  const Segment s = test::make_segment(100, [](Channel c, std::size_t k) {
    if (c != Channel::power) return kNaN;
    if (k % 10 == 3) return kNaN;
    return k % 10 == 0 ? 1000.0F : 100.0F + static_cast<float>(k % 2);
  });
  const History h = test::history(s);
  const WindowRef w{h, 99};
  const float median = range_median(w, Channel::power, 50, 0);  // 5 spikes among 45 values
  EXPECT_GE(median, 100.0F);
  EXPECT_LE(median, 101.0F);
  EXPECT_GT(range_mean(w, Channel::power, 50, 0), 190.0F);
  EXPECT_TRUE(std::isnan(range_median(w, Channel::gpu_util, 50, 0)));  // no readings
  EXPECT_TRUE(std::isnan(range_median(w, Channel::power, 101, 0)));    // history too short
}

// The injected clock drop (power x 0.7 for 120 s, utilization unchanged) on bursty power: the
// mean-based rule missed it (a burst in the 10 s window lifts "now" above 75 % of "before").
TEST(AnomalyRules, ThirtyPercentPowerDropOnBurstyLoadIsAClockDrop) {
  const Segment s = bursty(600, [](Channel c, std::size_t k, float v) {
    return c == Channel::power && in(k, 300, 420) ? 0.7F * v : v;
  });
  EXPECT_EQ(count(kinds(s), "anomaly.clock_drop"), 1U) << ::testing::PrintToString(kinds(s));
  EXPECT_TRUE(kinds(bursty(600)).empty()) << ::testing::PrintToString(kinds(bursty(600)));
}

TEST(AnomalyRules, ClockDropFiresWhileTheThrottleLasts) {
  const Segment s = busy(600, [](Channel c, std::size_t k, float v) {
    return c == Channel::power && in(k, 300, 420) ? 0.7F * v : v;
  });
  const auto model = make_forecaster("persistence", ForecastSpec{});
  const auto events = detect_anomalies(*model, Trace{"t.csv", {{DeviceInfo{}, {s}}}});
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].anomaly.kind, "anomaly.clock_drop");
  // 20 s "now" window, then held for 30 s: about 50 s in, well before the throttle ends.
  EXPECT_GE(events[0].step, 335 * kSps);
  EXPECT_LT(events[0].step, 380 * kSps);
}

TEST(AnomalyRules, ShortPowerDipOrFallingUtilizationIsNoClockDrop) {
  // A 25 s dip at full utilization: a workload phase, not a throttle.
  const Segment dip = busy(600, [](Channel c, std::size_t k, float v) {
    return c == Channel::power && in(k, 300, 325) ? 0.6F * v : v;
  });
  EXPECT_EQ(count(kinds(dip), "anomaly.clock_drop"), 0U) << ::testing::PrintToString(kinds(dip));
  // Power and utilization down together: the GPU is doing less, not running slower.
  const Segment less = busy(600, [](Channel c, std::size_t k, float v) {
    if (!in(k, 300, 420)) return v;
    if (c == Channel::power) return 0.7F * v;
    return c == Channel::gpu_util ? 70.0F : v;
  });
  EXPECT_EQ(count(kinds(less), "anomaly.clock_drop"), 0U) << ::testing::PrintToString(kinds(less));
}

TEST(AnomalyRules, FrozenMidRangeUtilizationIsStuck) {
  const Segment stuck = busy(600, [](Channel c, std::size_t k, float v) {
    if (c != Channel::gpu_util) return v;
    return in(k, 300, 420) ? 63.0F : 40.0F + static_cast<float>(k % 13);
  });
  const auto found = kinds(stuck);
  EXPECT_EQ(std::count(found.begin(), found.end(), "anomaly.stuck_util"), 1)
      << ::testing::PrintToString(found);
  // Saturated at 100 % for minutes is normal.
  const Segment saturated =
      busy(600, [](Channel c, std::size_t, float v) { return c == Channel::gpu_util ? 100.0F : v; });
  EXPECT_TRUE(kinds(saturated).empty());
}

TEST(AnomalyRules, SteadyMemoryGrowthFires) {
  const Segment leak = busy(900, [](Channel c, std::size_t k, float v) {
    return c == Channel::mem_used && k > 300 * kSps ? v + 0.5F * static_cast<float>(k - 300 * kSps) : v;
  });
  const auto found = kinds(leak);
  EXPECT_EQ(std::count(found.begin(), found.end(), "anomaly.memory_growth"), 1)
      << ::testing::PrintToString(found);
}

TEST(AnomalyRules, MemoryGrowthReportsTimeToTheLimit) {
  const Segment leak = busy(700, [](Channel c, std::size_t k, float v) {
    return c == Channel::mem_used ? v + 0.5F * static_cast<float>(k) : v;
  });
  AnomalyDetector detector(ForecastSpec{}, 81920.0);
  std::vector<Anomaly> found;
  for (std::size_t k = 0; k < leak.size(); ++k) {
    for (auto& a : detector.step({test::history(leak), k}, 0, {})) found.push_back(a);
  }
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].kind, "anomaly.memory_growth");
  EXPECT_NE(found[0].message.find("to the 81920 MiB limit"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].details_json.find("seconds_to_limit"), std::string::npos);
}

TEST(AnomalyRules, ForecastDeviationNeedsMostOfThirtySeconds) {
  const Segment s = busy(200);
  AnomalyDetector detector(ForecastSpec{}, std::nullopt);
  const std::size_t outputs = ForecastSpec{}.outputs();
  std::size_t fired = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    // Forecasts that are far off from second 60 on.
    std::vector<ForecastPoint> points(outputs, ForecastPoint{kNaN, kNaN, kNaN});
    const float power = k >= 600 ? 50.0F : 400.0F;
    for (std::size_t h = 0; h < 3; ++h) {
      points[index_of(Channel::power) * 3 + h] = {power, power - 100, power + 100};
      points[index_of(Channel::gpu_util) * 3 + h] = {99, 90, 100};
    }
    for (const auto& a : detector.step({test::history(s), k}, 0, points)) {
      EXPECT_EQ(a.kind, "anomaly.forecast_deviation");
      EXPECT_GE(k, 600U + 250U);  // not before the deviation lasted ~30 s
      ++fired;
    }
  }
  EXPECT_EQ(fired, 1U);
}

TEST(AnomalyInjection, LabelsWhereItInjectsAndIsDeterministic) {
  const Trace trace{"t.csv", {{DeviceInfo{}, {busy(900)}}}};
  std::vector<Injection> a;
  std::vector<Injection> b;
  const Trace x = inject_anomalies(trace, InjectedKind::collapse, 3, a);
  inject_anomalies(trace, InjectedKind::collapse, 3, b);
  ASSERT_EQ(a.size(), 1U);
  EXPECT_EQ(a[0].start, b[0].start);
  EXPECT_EQ(a[0].end - a[0].start, 120 * kSps);
  const auto& util = x.gpus[0].segments[0].values[index_of(Channel::gpu_util)];
  EXPECT_EQ(util[a[0].start + 5], 0);
  EXPECT_NE(util[a[0].end + 5], 0);
  AnomalyScores scores;
  const auto model = make_forecaster("persistence", ForecastSpec{});
  score_anomalies(*model, trace, 3, scores);
  EXPECT_EQ(scores.clean_events, 0U);
  EXPECT_NEAR(scores.clean_gpu_hours, 0.25, 1e-6);
  EXPECT_EQ(scores.injected_by_kind[static_cast<int>(InjectedKind::collapse)], 1U);
  EXPECT_EQ(scores.detected_by_kind[static_cast<int>(InjectedKind::collapse)], 1U);
}

}  // namespace
}  // namespace gpuopt::forecast
