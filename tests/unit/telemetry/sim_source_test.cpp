#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"
#include "gpuopt/throttle.hpp"
#include "telemetry/sim_model.hpp"
#include "telemetry/sim_source.hpp"

namespace gpuopt {
namespace {

constexpr EpochMs kStartMs = 1'753'575'747'000;

SourceOptions sim_options(int gpus, std::uint64_t seed) {
  SourceOptions options;
  options.gpus = gpus;
  options.seed = seed;
  return options;
}

// Reads `source` every `step_ms` for `duration_s` seconds of simulated time; returns all samples.
std::vector<Sample> run(SimSource& source, double duration_s, EpochMs step_ms, EpochMs start_ms = kStartMs) {
  std::vector<Sample> all;
  for (EpochMs t = start_ms; t <= start_ms + static_cast<EpochMs>(duration_s * 1000); t += step_ms) {
    const auto round = source.read(t);
    all.insert(all.end(), round.begin(), round.end());
  }
  return all;
}

double value(const Sample& s, Metric m) {
  const auto v = s.values.get(m);
  EXPECT_TRUE(v.has_value()) << metric_info(m).column << " missing";
  return v.value_or(NAN);
}

bool has_reason(const Sample& s, ThrottleReason r) {
  return (static_cast<std::uint64_t>(value(s, Metric::throttle_reasons)) & static_cast<std::uint64_t>(r)) !=
         0;
}

sim::Demand full_load(double intensity) {
  return sim::Demand{
      .busy = true, .util = 1.0, .mem_util = 0.5, .intensity = intensity, .mem_used_mib = 30000};
}

TEST(SimSource, IsLabelledSimulatedEverywhere) {
  SimSource source(sim_options(3, 1));
  EXPECT_EQ(source.info().name, "sim");
  EXPECT_TRUE(source.info().simulated);
  ASSERT_EQ(source.devices().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const DeviceInfo& d = source.devices()[static_cast<std::size_t>(i)];
    EXPECT_EQ(d.index, i);
    EXPECT_EQ(d.uuid, "sim-" + std::to_string(i));
    EXPECT_EQ(d.name, "Simulated A100-SXM4-40GB (gpuopt sim)");
    EXPECT_TRUE(d.simulated);
    EXPECT_EQ(d.mem_total_mib, 40960);
    EXPECT_EQ(d.power_limit_max_w, 400);
    EXPECT_EQ(d.sm_clock_max_mhz, 1410);
  }
}

TEST(SimSource, GpuCountDefaultsToOneAndIsBounded) {
  EXPECT_EQ(SimSource(sim_options(0, 1)).devices().size(), 1u);
  EXPECT_EQ(SimSource(sim_options(64, 1)).devices().size(), 64u);
  EXPECT_THROW(SimSource(sim_options(65, 1)), UsageError);
  EXPECT_THROW(SimSource(sim_options(-1, 1)), UsageError);
  EXPECT_EQ(open_source("sim:2", SourceOptions{})->devices().size(), 2u);
}

TEST(SimSource, SameSeedAndTimesGiveSameSamples) {
  SimSource a(sim_options(2, 42));
  SimSource b(sim_options(2, 42));
  SimSource other(sim_options(2, 43));
  const auto samples_a = run(a, 1800, 700);
  const auto samples_b = run(b, 1800, 700);
  const auto samples_other = run(other, 1800, 700);
  ASSERT_EQ(samples_a.size(), samples_b.size());
  bool differs_from_other = false;
  for (std::size_t i = 0; i < samples_a.size(); ++i) {
    EXPECT_EQ(samples_a[i].gpu, samples_b[i].gpu);
    EXPECT_EQ(samples_a[i].time_ms, samples_b[i].time_ms);
    ASSERT_EQ(samples_a[i].values, samples_b[i].values) << "sample " << i;
    differs_from_other |= !(samples_a[i].values == samples_other[i].values);
  }
  EXPECT_TRUE(differs_from_other);
}

TEST(SimSource, GpusOfOneSourceRunDifferentWorkloads) {
  SimSource source(sim_options(2, 7));
  const auto samples = run(source, 1800, 1000);
  int different_power = 0;
  for (std::size_t i = 0; i + 1 < samples.size(); i += 2) {
    different_power += value(samples[i], Metric::power_w) != value(samples[i + 1], Metric::power_w);
  }
  EXPECT_GT(different_power, static_cast<int>(samples.size() / 4));
}

TEST(SimSource, ReadingsStayPhysicallyConsistentOverHours) {
  SimSource source(sim_options(2, 5));
  const auto& p = sim::a100_sxm4_40gb();
  const auto samples = run(source, 4 * 3600, 1000);
  bool saw_p0 = false;
  bool saw_p8 = false;
  for (const Sample& s : samples) {
    EXPECT_EQ(s.values.valid_mask(), (1u << kMetricCount) - 1) << "every metric is reported";
    const double power_w = value(s, Metric::power_w);
    EXPECT_GE(power_w, p.idle_power_w);
    EXPECT_LE(power_w, p.power_limit_default_w);
    const double temperature_c = value(s, Metric::temperature_c);
    EXPECT_GE(temperature_c, p.ambient_c);
    EXPECT_LE(temperature_c, std::ceil(p.ambient_c + p.thermal_resistance_c_per_w * p.power_limit_max_w));
    EXPECT_EQ(value(s, Metric::mem_used_mib) + value(s, Metric::mem_free_mib), p.mem_total_mib);
    EXPECT_GE(value(s, Metric::gpu_util_pct), 0);
    EXPECT_LE(value(s, Metric::gpu_util_pct), 100);
    EXPECT_GE(value(s, Metric::sm_clock_mhz), p.sm_clock_min_mhz);
    EXPECT_LE(value(s, Metric::sm_clock_mhz), p.sm_clock_max_mhz);
    const double pstate = value(s, Metric::pstate);
    saw_p0 |= pstate == 0;
    saw_p8 |= pstate == 8;
    EXPECT_EQ(pstate == 8, has_reason(s, ThrottleReason::gpu_idle));
  }
  EXPECT_TRUE(saw_p0);
  EXPECT_TRUE(saw_p8);
}

TEST(SimSource, EnergyIsMonotonicAndIntegratesPower) {
  SimSource source(sim_options(1, 3));
  const auto samples = run(source, 3600, 500);
  double integral_mj = 0;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    ASSERT_GE(value(samples[i], Metric::energy_mj), value(samples[i - 1], Metric::energy_mj));
    // The model holds each step's power over the step that ends at the reading.
    integral_mj += value(samples[i], Metric::power_w) * 500;
  }
  const double energy_mj =
      value(samples.back(), Metric::energy_mj) - value(samples.front(), Metric::energy_mj);
  EXPECT_GT(energy_mj, 3600 * 55 * 1000.0);
  EXPECT_NEAR(energy_mj, integral_mj, integral_mj * 1e-4);
}

TEST(SimSource, StartsIdleThenTakesLoad) {
  SimSource source(sim_options(1, 9));
  const auto samples = run(source, 1200, 1000);
  EXPECT_EQ(value(samples.front(), Metric::pstate), 8);
  EXPECT_EQ(value(samples.front(), Metric::gpu_util_pct), 0);
  double max_util = 0;
  for (const Sample& s : samples) max_util = std::max(max_util, value(s, Metric::gpu_util_pct));
  EXPECT_GE(max_util, 50);
}

TEST(SimSource, LoweringThePowerLimitCapsPowerAndClocks) {
  SimSource source(sim_options(1, 11));
  run(source, 60, 1000);
  source.set_power_limit_w(0, 150);
  EXPECT_EQ(source.power_limit_w(0), 150);
  const auto samples = run(source, 1800, 1000, kStartMs + 61'000);
  int capped = 0;
  for (const Sample& s : samples) {
    EXPECT_EQ(value(s, Metric::power_limit_w), 150);
    EXPECT_LE(value(s, Metric::power_w), 150);
    if (value(s, Metric::gpu_util_pct) >= 80) {
      EXPECT_TRUE(has_reason(s, ThrottleReason::sw_power_cap));
      EXPECT_LT(value(s, Metric::sm_clock_mhz), 1410);
      ++capped;
    }
  }
  EXPECT_GT(capped, 10);
}

TEST(SimSource, RejectsLimitsOutsideTheRangeAndUnknownGpus) {
  SimSource source(sim_options(2, 1));
  EXPECT_THROW(source.set_power_limit_w(0, 99), UsageError);
  EXPECT_THROW(source.set_power_limit_w(0, 401), UsageError);
  EXPECT_THROW(source.set_power_limit_w(2, 200), UsageError);
  EXPECT_THROW(source.set_power_limit_w(-1, 200), UsageError);
  EXPECT_THROW(source.power_limit_w(2), UsageError);
  source.set_power_limit_w(1, 100);
  EXPECT_EQ(source.power_limit_w(1), 100);
  EXPECT_EQ(source.power_limit_w(0), 400);
}

TEST(SimSource, TimeGoingBackwardsAdvancesNothing) {
  SimSource source(sim_options(1, 1));
  run(source, 30, 1000);
  const auto before = source.read(kStartMs + 30'000);
  const auto after = source.read(kStartMs + 10'000);
  EXPECT_EQ(after[0].time_ms, kStartMs + 10'000);
  EXPECT_EQ(value(after[0], Metric::energy_mj), value(before[0], Metric::energy_mj));
}

TEST(SimSource, ALongGapBetweenReadsIsIntegrated) {
  SimSource once(sim_options(1, 4));
  SimSource often(sim_options(1, 4));
  once.read(kStartMs);
  const double energy_once_mj = value(once.read(kStartMs + 600'000)[0], Metric::energy_mj);
  const auto samples = run(often, 600, 1000);
  const double energy_often_mj = value(samples.back(), Metric::energy_mj);
  EXPECT_NEAR(energy_once_mj, energy_often_mj, energy_often_mj * 0.05);
}

TEST(SimModel, TemperatureRisesUnderLoadTowardsItsBound) {
  const auto& p = sim::a100_sxm4_40gb();
  sim::GpuModel gpu(p);
  const double idle_c = gpu.temperature_c();
  double previous_c = idle_c;
  for (int second = 0; second < 300; ++second) {
    gpu.advance(full_load(0.9), 1.0);
    EXPECT_GE(gpu.temperature_c(), previous_c);
    previous_c = gpu.temperature_c();
  }
  const double steady_c = p.ambient_c + p.thermal_resistance_c_per_w * gpu.power_w();
  EXPECT_GT(gpu.temperature_c(), idle_c + 20);
  EXPECT_LE(gpu.temperature_c(), steady_c);
  EXPECT_NEAR(gpu.temperature_c(), steady_c, 0.1);
  for (int second = 0; second < 300; ++second) gpu.advance(sim::Demand{}, 1.0);
  EXPECT_NEAR(gpu.temperature_c(), idle_c, 0.1);
}

TEST(SimModel, PowerCapLowersClockAndSetsSwPowerCap) {
  sim::GpuModel gpu(sim::a100_sxm4_40gb());
  gpu.advance(full_load(0.9), 1.0);
  EXPECT_EQ(gpu.sm_clock_mhz(), 1410);
  EXPECT_EQ(gpu.throttle_mask() & static_cast<std::uint64_t>(ThrottleReason::sw_power_cap), 0u);
  const double uncapped_w = gpu.power_w();
  EXPECT_LT(uncapped_w, 400);

  gpu.set_power_limit_w(200);
  gpu.advance(full_load(0.9), 1.0);
  EXPECT_LT(gpu.sm_clock_mhz(), 1410);
  EXPECT_LE(gpu.power_w(), 200);
  EXPECT_GT(gpu.power_w(), 190) << "the clock is lowered only as far as the cap needs";
  EXPECT_NE(gpu.throttle_mask() & static_cast<std::uint64_t>(ThrottleReason::sw_power_cap), 0u);
  EXPECT_EQ(std::fmod(gpu.sm_clock_mhz() - 210, 15), 0) << "clocks move in 15 MHz steps";
}

TEST(SimModel, OverheatingThrottlesAndStaysBounded) {
  sim::GpuParams hot = sim::a100_sxm4_40gb();
  hot.thermal_resistance_c_per_w = 0.2;  // a blocked heatsink: 400 W would mean 110 C
  sim::GpuModel gpu(hot);
  bool saw_sw_thermal = false;
  double max_c = 0;
  for (int second = 0; second < 600; ++second) {
    gpu.advance(full_load(1.0), 1.0);
    saw_sw_thermal |=
        (gpu.throttle_mask() & static_cast<std::uint64_t>(ThrottleReason::sw_thermal_slowdown)) != 0;
    max_c = std::max(max_c, gpu.temperature_c());
  }
  EXPECT_TRUE(saw_sw_thermal);
  EXPECT_LT(gpu.sm_clock_mhz(), 1410);
  EXPECT_LT(max_c, hot.hw_thermal_c + 1);
  EXPECT_GT(max_c, hot.sw_thermal_c);
}

TEST(SimModel, IdleGpuSitsInP8AtMinimumClockAndIdlePower) {
  sim::GpuModel gpu(sim::a100_sxm4_40gb());
  gpu.advance(sim::Demand{}, 10.0);
  const MetricValues v = gpu.readings();
  EXPECT_EQ(v.get(Metric::pstate), 8);
  EXPECT_EQ(v.get(Metric::sm_clock_mhz), 210);
  EXPECT_EQ(v.get(Metric::power_w), 55);
  EXPECT_EQ(v.get(Metric::energy_mj), 550'000);
  EXPECT_EQ(v.get(Metric::throttle_reasons), static_cast<double>(ThrottleReason::gpu_idle));
}

}  // namespace
}  // namespace gpuopt
