// Store::query: raw series and both resampling paths (raw GROUP BY and 1-minute roll-ups).
#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using namespace std::chrono_literals;

// What a resampled query must return, computed from raw points in plain C++.
std::vector<Point> reference(const std::vector<Point>& raw, std::chrono::milliseconds step, Aggregation agg) {
  struct Acc {
    double sum = 0, min = 0, max = 0, last = 0;
    int count = 0;
  };
  std::map<EpochMs, Acc> buckets;
  for (const Point& p : raw) {
    Acc& a = buckets[p.time_ms - p.time_ms % step.count()];
    a.min = a.count == 0 ? p.value : std::min(a.min, p.value);
    a.max = a.count == 0 ? p.value : std::max(a.max, p.value);
    a.sum += p.value;
    a.last = p.value;  // raw points come oldest first
    ++a.count;
  }
  std::vector<Point> out;
  for (const auto& [t, a] : buckets) {
    const double value = agg == Aggregation::mean  ? a.sum / a.count
                         : agg == Aggregation::min ? a.min
                         : agg == Aggregation::max ? a.max
                                                   : a.last;
    out.push_back({t, value});
  }
  return out;
}

void expect_points_eq(const std::vector<Point>& actual, const std::vector<Point>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].time_ms, expected[i].time_ms) << "point " << i;
    EXPECT_EQ(actual[i].value, expected[i].value)
        << "point " << i << " at " << format_iso8601(actual[i].time_ms);
  }
}

class StoreQueryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_.emplace(Store::open(path()));
    const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa")};
    ids_ = store_->register_devices(devices, "sim@test");
    // 10 minutes at 10 Hz of integer-valued power (sums stay exact), with a gap in minute 4
    // and a few samples without power.
    std::vector<Sample> samples;
    for (int i = 0; i < 6000; ++i) {
      const EpochMs t = kT0 + i * 100LL;
      if (t >= kT0 + 4 * 60'000 && t < kT0 + 5 * 60'000) continue;
      Sample s = make_sample(0, t, {{Metric::gpu_util_pct, i % 100}});
      if (i % 7 != 0) s.values.set(Metric::power_w, 100 + (i * 37) % 200);
      samples.push_back(s);
    }
    // Appended in a few batches, as the sampler does.
    for (std::size_t begin = 0; begin < samples.size(); begin += 1500) {
      const auto end = std::min(samples.size(), begin + 1500);
      store_->append(ids_, std::span(samples).subspan(begin, end - begin));
    }
  }

  std::vector<Point> query(std::chrono::milliseconds step, Aggregation agg, EpochMs from = kT0,
                           EpochMs to = kT0 + 600'000) {
    return store_->query({ids_[0], Metric::power_w, from, to, step, agg});
  }

  std::optional<Store> store_;
  std::vector<DeviceId> ids_;
};

TEST_F(StoreQueryTest, RawSkipsAbsentValuesAndRespectsRange) {
  const auto raw = query(0ms, Aggregation::mean, kT0 + 100, kT0 + 1500);
  // i = 1..14 without 7 and 14 (no power); kT0 + 1500 is excluded.
  ASSERT_EQ(raw.size(), 12U);
  EXPECT_EQ(raw.front().time_ms, kT0 + 100);
  EXPECT_EQ(raw.back().time_ms, kT0 + 1300);
  EXPECT_TRUE(std::is_sorted(raw.begin(), raw.end(), [](auto& a, auto& b) { return a.time_ms < b.time_ms; }));
}

TEST_F(StoreQueryTest, RollupPathMatchesRawReferenceForEveryAggregation) {
  const auto raw = query(0ms, Aggregation::mean);
  for (const auto agg : {Aggregation::mean, Aggregation::min, Aggregation::max, Aggregation::last}) {
    SCOPED_TRACE(static_cast<int>(agg));
    expect_points_eq(query(60s, agg), reference(raw, 60s, agg));
    expect_points_eq(query(180s, agg), reference(raw, 180s, agg));
  }
}

TEST_F(StoreQueryTest, RawPathMatchesRawReferenceForEveryAggregation) {
  const auto raw = query(0ms, Aggregation::mean);
  for (const auto agg : {Aggregation::mean, Aggregation::min, Aggregation::max, Aggregation::last}) {
    SCOPED_TRACE(static_cast<int>(agg));
    expect_points_eq(query(7s, agg), reference(raw, 7s, agg));
    expect_points_eq(query(59s, agg), reference(raw, 59s, agg));
  }
}

TEST_F(StoreQueryTest, BothPathsAgreeOnAlignedData) {
  // Samples only in the first minute of every 3 minutes: a 60 s bucket (roll-up path) and a
  // 90 s bucket (raw path) starting at a multiple of 180 s then hold exactly the same samples.
  const std::vector<DeviceInfo> devices{make_device(1, "GPU-bbbb")};
  const auto ids = store_->register_devices(devices, "sim@test");
  std::vector<Sample> samples;
  for (int period = 0; period < 5; ++period) {
    for (int i = 0; i < 600; ++i) {
      const EpochMs t = kT0 + period * 180'000LL + i * 100LL;
      samples.push_back(make_sample(0, t, {{Metric::power_w, 150 + 0.25 * ((i * 13 + period) % 400)}}));
    }
  }
  store_->append(ids, samples);
  for (const auto agg : {Aggregation::mean, Aggregation::min, Aggregation::max, Aggregation::last}) {
    SCOPED_TRACE(static_cast<int>(agg));
    const auto rollups = store_->query({ids[0], Metric::power_w, kT0, kT0 + 900'000, 60s, agg});
    const auto raw = store_->query({ids[0], Metric::power_w, kT0, kT0 + 900'000, 90s, agg});
    EXPECT_EQ(rollups.size(), 5U);
    expect_points_eq(rollups, raw);
  }
}

TEST_F(StoreQueryTest, BucketsAreEpochAlignedAndEmptyOnesAreSkipped) {
  // kT0 + 3000 is a multiple of 7 s; the query starts 2 s into that bucket.
  const auto points = query(7s, Aggregation::max, kT0 + 5000, kT0 + 600'000);
  for (const Point& p : points) EXPECT_EQ(p.time_ms % 7000, 0) << p.time_ms;
  // The bucket holding `from` is whole: it starts before `from` and holds its earlier samples.
  EXPECT_EQ(points.front().time_ms, kT0 + 3000);
  EXPECT_EQ(points.front().value, reference(query(0ms, Aggregation::max), 7s, Aggregation::max).at(1).value);
  const auto minutes = query(60s, Aggregation::mean);
  ASSERT_EQ(minutes.size(), 9U);  // minute 4 has no samples
  EXPECT_EQ(minutes[3].time_ms, kT0 + 3 * 60'000);
  EXPECT_EQ(minutes[4].time_ms, kT0 + 5 * 60'000);
}

TEST_F(StoreQueryTest, RollupMeanWeighsMinutesByTheirSampleCount) {
  const std::vector<DeviceInfo> devices{make_device(1, "GPU-bbbb")};
  const auto ids = store_->register_devices(devices, "sim@test");
  store_->append(ids, std::vector<Sample>{make_sample(0, kT0, {{Metric::power_w, 100}}),
                                          make_sample(0, kT0 + 60'000, {{Metric::power_w, 200}}),
                                          make_sample(0, kT0 + 61'000, {{Metric::power_w, 200}}),
                                          make_sample(0, kT0 + 62'000, {{Metric::power_w, 200}})});
  const auto points = store_->query({ids[0], Metric::power_w, kT0, kT0 + 120'000, 120s, Aggregation::mean});
  ASSERT_EQ(points.size(), 1U);
  EXPECT_EQ(points[0].value, 175);
}

TEST_F(StoreQueryTest, EmptyOrInvertedRangeGivesNoPoints) {
  EXPECT_TRUE(query(0ms, Aggregation::mean, kT0 + 1000, kT0 + 1000).empty());
  EXPECT_TRUE(query(60s, Aggregation::mean, kT0 + 5000, kT0).empty());
  EXPECT_TRUE(query(60s, Aggregation::mean, kT0 - 600'000, kT0).empty());
}

TEST_F(StoreQueryTest, NegativeStepIsAUsageError) { EXPECT_THROW(query(-1s, Aggregation::mean), UsageError); }

}  // namespace
}  // namespace gpuopt::test
