// Store::append: raw round trips, duplicate replacement and the roll-ups kept in step.
#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using namespace std::chrono_literals;

class StoreAppendTest : public TwoDeviceStoreTest {
 protected:
  void append(const std::vector<Sample>& samples) { store_->append(ids_, samples); }

  // The first minute of GPU 0, from the roll-ups.
  std::vector<Point> minute(Metric metric, Aggregation aggregation) {
    return store_->query({ids_[0], metric, kT0, kT0 + 60'000, 60s, aggregation});
  }
};

TEST_F(StoreAppendTest, RawRoundTripKeepsAbsentMetricsAbsent) {
  const std::vector<Sample> samples{
      make_sample(0, kT0, {{Metric::power_w, 251.5}, {Metric::temperature_c, 61}}),
      make_sample(0, kT0 + 100, {{Metric::power_w, 252.25}}),
      make_sample(1, kT0 + 50, {{Metric::gpu_util_pct, 99}, {Metric::throttle_reasons, 4}}),
  };
  append(samples);
  const auto gpu0 = store_->samples(ids_[0], kT0, kT0 + 1000);
  ASSERT_EQ(gpu0.size(), 2U);
  EXPECT_EQ(gpu0[0].time_ms, kT0);
  EXPECT_EQ(gpu0[0].values, samples[0].values);
  EXPECT_EQ(gpu0[1].values, samples[1].values);
  EXPECT_FALSE(gpu0[1].values.has(Metric::temperature_c));
  const auto gpu1 = store_->samples(ids_[1], kT0, kT0 + 1000);
  ASSERT_EQ(gpu1.size(), 1U);
  EXPECT_EQ(gpu1[0].gpu, 1);
  EXPECT_EQ(gpu1[0].values, samples[2].values);

  const auto temperature = store_->query({ids_[0], Metric::temperature_c, kT0, kT0 + 1000});
  ASSERT_EQ(temperature.size(), 1U);
  EXPECT_EQ(temperature[0].time_ms, kT0);
  EXPECT_EQ(temperature[0].value, 61);
  EXPECT_TRUE(store_->query({ids_[0], Metric::fan_speed_pct, kT0, kT0 + 1000}).empty());
  EXPECT_TRUE(minute(Metric::fan_speed_pct, Aggregation::mean).empty());
}

TEST_F(StoreAppendTest, SamplesRespectsRangeAndLimit) {
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) samples.push_back(make_sample(0, kT0 + i * 1000, {{Metric::power_w, i}}));
  append(samples);
  EXPECT_EQ(store_->samples(ids_[0], kT0 + 2000, kT0 + 5000).size(), 3U);
  const auto limited = store_->samples(ids_[0], kT0, kT0 + 10'000, 4);
  ASSERT_EQ(limited.size(), 4U);
  EXPECT_EQ(limited.back().time_ms, kT0 + 3000);
}

TEST_F(StoreAppendTest, DuplicateReplacesWithoutDoubleCounting) {
  append({make_sample(0, kT0 + 1000, {{Metric::power_w, 100}}),
          make_sample(0, kT0 + 2000, {{Metric::power_w, 300}})});
  append({make_sample(0, kT0 + 1000, {{Metric::power_w, 200}})});
  const auto raw = store_->query({ids_[0], Metric::power_w, kT0, kT0 + 60'000});
  ASSERT_EQ(raw.size(), 2U);
  EXPECT_EQ(raw[0].value, 200);
  EXPECT_EQ(store_->devices().at(0).sample_count, 2);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 250);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::min).at(0).value, 200);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::max).at(0).value, 300);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::last).at(0).value, 300);
}

TEST_F(StoreAppendTest, DuplicateWithinOneBatchKeepsTheLast) {
  append({make_sample(0, kT0, {{Metric::power_w, 100}}), make_sample(0, kT0, {{Metric::power_w, 150}})});
  const auto raw = store_->query({ids_[0], Metric::power_w, kT0, kT0 + 60'000});
  ASSERT_EQ(raw.size(), 1U);
  EXPECT_EQ(raw[0].value, 150);
  EXPECT_EQ(store_->devices().at(0).sample_count, 1);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 150);
}

// Two imports of different metrics of one GPU (two Prometheus queries) add up: the second used
// to replace whole rows and blank the first one's metrics and roll-ups.
TEST_F(StoreAppendTest, ASampleAtAStoredTimeKeepsTheMetricsItLacks) {
  append({make_sample(0, kT0, {{Metric::power_w, 100}, {Metric::temperature_c, 50}})});
  append({make_sample(0, kT0, {{Metric::power_w, 120}, {Metric::gpu_util_pct, 70}})});
  const auto raw = store_->samples(ids_[0], kT0, kT0 + 1);
  ASSERT_EQ(raw.size(), 1U);
  EXPECT_EQ(raw[0].values.get(Metric::power_w), 120);
  EXPECT_EQ(raw[0].values.get(Metric::temperature_c), 50);
  EXPECT_EQ(raw[0].values.get(Metric::gpu_util_pct), 70);
  EXPECT_EQ(store_->devices().at(0).sample_count, 1);
  EXPECT_EQ(minute(Metric::temperature_c, Aggregation::mean).at(0).value, 50);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 120);
  EXPECT_EQ(minute(Metric::gpu_util_pct, Aggregation::mean).at(0).value, 70);
}

TEST_F(StoreAppendTest, LateSampleIntoStoredMinuteKeepsLastByTime) {
  append({make_sample(0, kT0 + 30'000, {{Metric::power_w, 300}})});
  append({make_sample(0, kT0 + 10'000, {{Metric::power_w, 100}})});
  EXPECT_EQ(store_->devices().at(0).sample_count, 2);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 200);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::last).at(0).value, 300);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::min).at(0).value, 100);
}

TEST_F(StoreAppendTest, BatchesMergeIntoTheSameMinute) {
  append({make_sample(0, kT0 + 1000, {{Metric::power_w, 100}})});
  append({make_sample(0, kT0 + 2000, {{Metric::power_w, 50}})});
  append({make_sample(0, kT0 + 3000, {{Metric::power_w, 400}})});
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 550.0 / 3);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::min).at(0).value, 50);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::max).at(0).value, 400);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::last).at(0).value, 400);
}

TEST_F(StoreAppendTest, GpuIndexOutOfRangeWritesNothing) {
  try {
    append({make_sample(0, kT0, {{Metric::power_w, 1}}), make_sample(2, kT0, {{Metric::power_w, 1}})});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu 2"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store_->samples(ids_[0], 0, kT0 * 2).empty());
}

TEST_F(StoreAppendTest, UnknownDeviceIdWritesNothing) {
  const std::vector<DeviceId> ids{ids_[0], 999};
  const std::vector<Sample> samples{make_sample(0, kT0, {{Metric::power_w, 1}}),
                                    make_sample(1, kT0, {{Metric::power_w, 1}})};
  EXPECT_THROW(store_->append(ids, samples), UsageError);
  EXPECT_TRUE(store_->samples(ids_[0], 0, kT0 * 2).empty());
}

// Batches that fill whole multi-row statements and leave tails of every size, with metric sets
// that differ between samples: each value comes back exactly and absent metrics stay absent.
TEST_F(StoreAppendTest, BatchSizesAroundStatementRowsRoundTrip) {
  EpochMs start_ms = kT0;
  std::int64_t stored = 0;
  for (const int count : {1, 2, 63, 64, 65, 127, 128, 129, 200}) {
    std::vector<Sample> samples;
    for (int i = 0; i < count; ++i) {
      Sample s = make_sample(0, start_ms + i * 100LL, {{Metric::power_w, 100.25 + i}});
      if (i % 3 == 0) s.values.set(Metric::temperature_c, 40.0 + i);
      if (i % 7 == 1) s.values.set(Metric::throttle_reasons, 4);
      samples.push_back(s);
    }
    append(samples);
    stored += count;
    const auto back = store_->samples(ids_[0], start_ms, start_ms + count * 100LL);
    ASSERT_EQ(back.size(), samples.size()) << count << " samples";
    for (std::size_t i = 0; i < back.size(); ++i) {
      EXPECT_EQ(back[i].time_ms, samples[i].time_ms) << count << " samples, #" << i;
      EXPECT_EQ(back[i].values, samples[i].values) << count << " samples, #" << i;
    }
    EXPECT_EQ(store_->devices().at(0).sample_count, stored);
    start_ms += 3'600'000;
  }
}

TEST_F(StoreAppendTest, UnorderedInterleavedBatchIsStoredInTimeOrder) {
  append({make_sample(0, kT0 + 3000, {{Metric::power_w, 30}}),
          make_sample(1, kT0 + 2000, {{Metric::power_w, 7}}),
          make_sample(0, kT0 + 1000, {{Metric::power_w, 10}}),
          make_sample(1, kT0 + 1000, {{Metric::power_w, 5}}),
          make_sample(0, kT0 + 2000, {{Metric::power_w, 20}})});
  const auto gpu0 = store_->query({ids_[0], Metric::power_w, kT0, kT0 + 60'000});
  ASSERT_EQ(gpu0.size(), 3U);
  EXPECT_EQ(gpu0[0].value, 10);
  EXPECT_EQ(gpu0[2].time_ms, kT0 + 3000);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::last).at(0).value, 30);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 20);
  const auto devices = store_->devices();
  EXPECT_EQ(devices.at(0).sample_count, 3);
  EXPECT_EQ(devices.at(1).sample_count, 2);
}

TEST_F(StoreAppendTest, BatchMixingOlderAndNewerSamplesCountsEachOnce) {
  append({make_sample(0, kT0 + 1000, {{Metric::power_w, 10}}),
          make_sample(0, kT0 + 2000, {{Metric::power_w, 20}}),
          make_sample(0, kT0 + 3000, {{Metric::power_w, 30}})});
  // A replacement, a late new sample, and one newer than everything stored.
  append({make_sample(0, kT0 + 2000, {{Metric::power_w, 25}}),
          make_sample(0, kT0 + 2500, {{Metric::power_w, 5}}),
          make_sample(0, kT0 + 4000, {{Metric::power_w, 40}})});
  EXPECT_EQ(store_->devices().at(0).sample_count, 5);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 22);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::min).at(0).value, 5);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::last).at(0).value, 40);
}

TEST_F(StoreAppendTest, TwoGpuIndicesNamingOneDeviceShareItsRows) {
  const std::vector<DeviceId> ids{ids_[0], ids_[0]};
  const std::vector<Sample> samples{make_sample(0, kT0 + 1000, {{Metric::power_w, 1}}),
                                    make_sample(1, kT0 + 2000, {{Metric::power_w, 2}}),
                                    make_sample(1, kT0 + 1000, {{Metric::power_w, 3}})};
  store_->append(ids, samples);
  const auto raw = store_->query({ids_[0], Metric::power_w, kT0, kT0 + 60'000});
  ASSERT_EQ(raw.size(), 2U);
  EXPECT_EQ(raw[0].value, 3);  // the later of the two samples for the same time
  EXPECT_EQ(raw[1].value, 2);
  EXPECT_EQ(store_->devices().at(0).sample_count, 2);
  EXPECT_EQ(minute(Metric::power_w, Aggregation::mean).at(0).value, 2.5);
}

TEST_F(StoreAppendTest, LargeBatchIsStoredWithRollups) {
  constexpr int kPerGpu = 50'000;  // 100k samples, 10 Hz
  std::vector<Sample> samples;
  samples.reserve(2 * kPerGpu);
  double power_sum = 0;
  for (int i = 0; i < kPerGpu; ++i) {
    for (int gpu = 0; gpu < 2; ++gpu) {
      const double power = 100 + (i % 97) + gpu;
      if (gpu == 0) power_sum += power;
      samples.push_back(
          make_sample(gpu, kT0 + i * 100LL, {{Metric::power_w, power}, {Metric::gpu_util_pct, i % 101}}));
    }
  }
  append(samples);
  const auto devices = store_->devices();
  ASSERT_EQ(devices.size(), 2U);
  EXPECT_EQ(devices[0].sample_count, kPerGpu);
  EXPECT_EQ(devices[1].sample_count, kPerGpu);
  EXPECT_EQ(devices[0].first_ms, kT0);
  EXPECT_EQ(devices[0].last_ms, kT0 + (kPerGpu - 1) * 100LL);
  const auto whole =
      store_->query({ids_[0], Metric::power_w, kT0, kT0 + kPerGpu * 100LL, 24h, Aggregation::mean});
  ASSERT_EQ(whole.size(), 1U);
  EXPECT_DOUBLE_EQ(whole[0].value, power_sum / kPerGpu);
}

}  // namespace
}  // namespace gpuopt::test
