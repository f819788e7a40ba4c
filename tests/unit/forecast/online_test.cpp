#include "gpuopt/forecast/online.hpp"

#include <gtest/gtest.h>

#include <array>
#include <utility>
#include <vector>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"

namespace gpuopt::forecast {
namespace {

Sample reading(int gpu, EpochMs t, double power_w, double util_pct, double mem_mib) {
  Sample s{gpu, t, {}};
  s.values.set(Metric::power_w, power_w);
  s.values.set(Metric::gpu_util_pct, util_pct);
  s.values.set(Metric::mem_used_mib, mem_mib);
  return s;
}

std::vector<DeviceInfo> two_gpus() {
  DeviceInfo a;
  a.index = 0;
  a.uuid = "GPU-a";
  DeviceInfo b = a;
  b.index = 1;
  b.uuid = "GPU-b";
  return {a, b};
}

TEST(OnlineForecaster, ForecastsOnceTheFineWindowIsFull) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  OnlineForecaster online(*model, two_gpus());
  const EpochMs t0 = 1'700'000'000'000;
  for (int i = 0; i < 10; ++i) {  // 1 s at 100 ms
    online.add(
        std::vector<Sample>{reading(0, t0 + i * 100, 300, 90, 1000), reading(1, t0 + i * 100, 50, 0, 10)});
  }
  EXPECT_FALSE(online.latest(0).has_value());
  for (int i = 10; i < 30; ++i) {
    online.add(std::vector<Sample>{reading(0, t0 + i * 100, 300 + i, 90, 1000)});  // GPU 1 is silent
  }
  const auto f = online.latest(0);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->time_ms, t0 + 2900);  // the latest sample
  const std::size_t horizons = model->spec().horizons.size();
  EXPECT_EQ(f->points[index_of(Channel::power) * horizons].value, 329);
  EXPECT_TRUE(std::isnan(f->points[index_of(Channel::temperature) * horizons].value));
  EXPECT_FALSE(online.latest(1).has_value());
  EXPECT_FALSE(online.latest(7).has_value());
}

// The agent's intervals on memory stop at the GPU's memory when the source knows it.
TEST(OnlineForecaster, MemoryBoundsStopAtTheGpusMemory) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  Calibration cal;
  cal.half_width.assign(model->spec().outputs(), 0.5F);
  model->set_calibration(cal);
  std::vector<DeviceInfo> gpus = two_gpus();
  gpus[0].mem_total_mib = 5000;  // GPU 1's size is unknown
  OnlineForecaster online(*model, gpus);
  const EpochMs t0 = 1'700'000'000'000;
  for (int i = 0; i < 30; ++i) {
    online.add(std::vector<Sample>{reading(0, t0 + i * 100, 300, 90, 4000),
                                   reading(1, t0 + i * 100, 300, 90, 4000)});
  }
  const std::size_t mem = index_of(Channel::mem_used) * model->spec().horizons.size();
  EXPECT_FLOAT_EQ(online.latest(0)->points[mem].upper, 5000.0F);  // 4000 + 2000, capped
  EXPECT_FLOAT_EQ(online.latest(1)->points[mem].upper, 6000.0F);
}

TEST(OnlineForecaster, SlowSamplingFillsTheGridAndAGapStartsOver) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  OnlineForecaster online(*model, two_gpus(), std::chrono::seconds(5));
  const EpochMs t0 = 1'700'000'000'000;
  for (int i = 0; i < 3; ++i) online.add(std::vector<Sample>{reading(0, t0 + i * 1000 + 37, 200, 90, 1000)});
  ASSERT_TRUE(online.latest(0).has_value());  // 1 s sampling: ten grid steps per round
  online.add(std::vector<Sample>{reading(0, t0 + 60'037, 100, 10, 1000)});
  // After the gap the window holds one step only, so the last forecast stays the old one.
  EXPECT_EQ(online.latest(0)->time_ms, t0 + 2100);  // the step right after the sample at 2.037 s
}

TEST(OnlineForecaster, OlderSamplesAreRejected) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  OnlineForecaster online(*model, two_gpus());
  online.add(std::vector<Sample>{reading(0, 5000, 1, 1, 1)});
  EXPECT_THROW(online.add(std::vector<Sample>{reading(0, 4000, 1, 1, 1)}), ParseError);
}

TEST(OnlineForecaster, ReportsAnomaliesFromTheStream) {
  const auto model = make_forecaster("persistence", ForecastSpec{});
  OnlineForecaster online(*model, two_gpus());
  std::vector<OnlineAnomaly> found;
  for (int s = 0; s < 400; ++s) {  // 1 s sampling; the job stalls at 200 s with memory held
    const bool stalled = s >= 200;
    const auto round = online.add(std::vector<Sample>{
        reading(1, 1'700'000'000'000 + s * 1000, stalled ? 60 : 400 + (s % 3), stalled ? 0 : 98, 40000)});
    found.insert(found.end(), round.begin(), round.end());
  }
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].gpu, 1);
  EXPECT_EQ(found[0].anomaly.kind, "anomaly.collapse");
  EXPECT_EQ(found[0].anomaly.severity, "error");
}

// The channels' level periods are found once a second (kPeriodRefresh), not at every step: on a
// stream whose period does not change, every online forecast is still the forecast of the same
// window offline, seasonal candidate included.
TEST(OnlineForecaster, APeriodicStreamKeepsItsPeriodBetweenRefreshes) {
  ForecastSpec spec;
  spec.horizons = {std::chrono::seconds(5)};
  const auto model = make_forecaster("phase", spec);
  OnlineForecaster online(*model, two_gpus());
  // 100 W with a 600 W burst of two steps every 6.2 s (62 steps), as LLM inference's power.
  const auto power = [](std::size_t k) { return k % 62 < 2 ? 600.0F : 100.0F; };
  const Segment offline = test::make_segment(1300, [&](Channel c, std::size_t k) {
    return c == Channel::power      ? power(k)
           : c == Channel::gpu_util ? 50.0F
           : c == Channel::mem_used ? 1000.0F
                                    : test::kNaN;
  });
  const std::size_t at = index_of(Channel::power) * spec.horizons.size();
  std::size_t bursts_ahead = 0;
  for (std::size_t k = 0; k < 1300; ++k) {
    online.add(std::vector<Sample>{
        reading(0, offline.start_ms + static_cast<EpochMs>(k) * 100, power(k), 50, 1000)});
    if (k < 700) continue;  // the period needs a minute of history
    const WindowRef w{test::history(offline), k};
    std::vector<float> expected(spec.outputs());
    model->predict(std::span<const WindowRef>(&w, 1), expected);
    ASSERT_EQ(online.latest(0)->points[at].value, expected[index_of(Channel::power)]) << "step " << k;
    if (power(k + 50) == 600) {
      EXPECT_EQ(expected[index_of(Channel::power)], 600) << "step " << k;
      ++bursts_ahead;
    }
  }
  EXPECT_GT(bursts_ahead, 0U);
}

// The phase switch is tested with the periods, once a second: on a stream of phases whose lengths
// alternate (compute 10 s, 20 s; checkpoint 6 s, 12 s), where "as long as the last one" is always
// wrong, every online forecast is the forecast of the same window offline, which tests at every
// step, and the switch that failed is not forecast.
// Power in phases whose lengths alternate (compute 10 s / 20 s, checkpoint 6 s / 12 s), 100 ms
// steps; utilization and memory flat.
struct PhasedStream {
  std::vector<float> power;
  Segment offline;
};
PhasedStream phased_stream(std::size_t steps) {
  const std::array<std::pair<float, std::size_t>, 4> cycle{{{500, 100}, {150, 60}, {500, 200}, {150, 120}}};
  PhasedStream s;
  while (s.power.size() < steps) {
    for (const auto& [level, length] : cycle) s.power.insert(s.power.end(), length, level);
  }
  s.power.resize(steps);
  s.offline = test::make_segment(steps, [&](Channel c, std::size_t k) {
    return c == Channel::power      ? s.power[k]
           : c == Channel::gpu_util ? 50.0F
           : c == Channel::mem_used ? 1000.0F
                                    : test::kNaN;
  });
  return s;
}

// Feeds `s` to an online forecaster of `model` and checks its forecast at `at` against the offline
// one at every step from 20 s on; calls `check(step, offline forecast)` on each.
template <typename Check>
void expect_online_as_offline(const Forecaster& model, const PhasedStream& s, std::size_t at, Check check) {
  OnlineForecaster online(model, two_gpus());
  std::vector<float> expected(model.spec().outputs());
  for (std::size_t k = 0; k < s.power.size(); ++k) {
    online.add(std::vector<Sample>{
        reading(0, s.offline.start_ms + static_cast<EpochMs>(k) * 100, s.power[k], 50, 1000)});
    if (k < 200) continue;
    const WindowRef w{test::history(s.offline), k};
    model.predict(std::span<const WindowRef>(&w, 1), expected);
    ASSERT_EQ(online.latest(0)->points[at].value, expected[at]) << "step " << k;
    check(k, expected[at]);
  }
}

TEST(OnlineForecaster, ThePhaseSwitchTestKeptBetweenRefreshesForecastsAsOffline) {
  ForecastSpec spec;
  spec.horizons = {std::chrono::seconds(1), std::chrono::seconds(5)};
  const auto model = make_forecaster("phase", spec);
  const std::size_t at = index_of(Channel::power) * spec.horizons.size() + 1;  // 5 s
  std::size_t held = 0;
  expect_online_as_offline(*model, phased_stream(3000), at, [&](std::size_t k, float forecast) {
    // 8 s into a 20 s compute phase: the untested switch would forecast the checkpoint.
    if ((k + 1) % 480 == 280 && k > 1000) {
      EXPECT_EQ(forecast, 500) << "step " << k;
      ++held;
    }
  });
  EXPECT_GT(held, 0U);
}

// A model file of an older phase rule (here stop 21's, which trusts two phases and counts the cut
// first one) keeps its own test online: the evidence kept between refreshes is its rule's.
TEST(OnlineForecaster, AModelFileOfAnOlderPhaseRuleForecastsAsOffline) {
  ForecastSpec spec;
  spec.horizons = {std::chrono::seconds(1), std::chrono::seconds(5)};
  ml::ModelFile file;
  make_forecaster("seq:gru", spec)->save(file);
  file.meta.erase("whole_phases");
  file.meta["correction_weights"] = std::vector<float>(spec.outputs(), 0.0F);
  const auto old = load_forecaster(file, "stop21.gpuopt");
  const std::size_t at = index_of(Channel::power) * spec.horizons.size() + 1;
  expect_online_as_offline(*old, phased_stream(3000), at, [](std::size_t, float) {});
  // Persistence reads no phases: it keeps nothing between refreshes and forecasts as offline.
  const auto persistence = make_forecaster("persistence", spec);
  expect_online_as_offline(*persistence, phased_stream(600), at, [](std::size_t, float) {});
}

}  // namespace
}  // namespace gpuopt::forecast
