// Store::apply_retention: raw samples expire, their roll-ups stay until the longer horizon.
// Store::remove_samples: one device's samples and roll-ups go, the other devices' stay.
#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using namespace std::chrono_literals;

constexpr EpochMs kDayMs = 86'400'000;

TEST_F(StoreTest, RetentionDeletesOldRawButKeepsRollups) {
  auto store = Store::open(path());
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa"), make_device(1, "GPU-bbbb")};
  const auto ids = store.register_devices(devices, "sim@test");
  // Three days, one sample every 30 s per GPU, two metrics each.
  std::vector<Sample> samples;
  for (EpochMs t = kT0; t < kT0 + 3 * kDayMs; t += 30'000) {
    for (int gpu = 0; gpu < 2; ++gpu) {
      samples.push_back(make_sample(
          gpu, t,
          {{Metric::power_w, static_cast<double>((t / 30'000) % 300)}, {Metric::temperature_c, 40.0 + gpu}}));
    }
  }
  store.append(ids, samples);
  const SeriesQuery day2{ids[0], Metric::power_w, kT0 + kDayMs, kT0 + 2 * kDayMs, 60s, Aggregation::mean};
  const auto day2_before = store.query(day2);
  ASSERT_EQ(day2_before.size(), 1440U);

  const EpochMs now = kT0 + 3 * kDayMs;
  const auto result = store.apply_retention({24h, 48h}, now);
  // Raw: the first two days of both GPUs (2 samples per minute). Roll-ups: the first day's
  // minutes, two metrics per GPU.
  EXPECT_EQ(result.raw_deleted, 2 * 2 * 2 * 1440);
  EXPECT_EQ(result.rollups_deleted, 2 * 2 * 1440);

  EXPECT_TRUE(store.samples(ids[0], kT0, now - kDayMs).empty());
  EXPECT_TRUE(store.samples(ids[1], kT0, now - kDayMs).empty());
  EXPECT_EQ(store.samples(ids[1], now - kDayMs, now).size(), 2U * 1440);
  const auto kept = store.devices();
  EXPECT_EQ(kept[0].first_ms, now - kDayMs);
  EXPECT_EQ(kept[0].sample_count, 2 * 1440);

  const auto day2_after = store.query(day2);
  ASSERT_EQ(day2_after.size(), day2_before.size());
  for (std::size_t i = 0; i < day2_after.size(); ++i) EXPECT_EQ(day2_after[i].value, day2_before[i].value);
  EXPECT_TRUE(store.query({ids[0], Metric::power_w, kT0, kT0 + kDayMs, 60s, Aggregation::mean}).empty());

  const auto again = store.apply_retention({24h, 48h}, now);
  EXPECT_EQ(again.raw_deleted, 0);
  EXPECT_EQ(again.rollups_deleted, 0);
}

TEST_F(StoreTest, RetentionKeepsImportedHistory) {
  auto store = Store::open(path());
  const std::vector<DeviceInfo> live{make_device(0, "GPU-live")};
  const std::vector<DeviceInfo> traced{make_device(0, "trace:runs/a.csv:gpu0")};
  const std::vector<DeviceInfo> scraped{make_device(0, "GPU-scraped")};
  const DeviceId live_id = store.register_devices(live, "nvml@node1").front();
  const DeviceId traced_id = store.register_devices(traced, "import:runs/a.csv").front();
  const DeviceId scraped_id = store.register_devices(scraped, "prometheus:http://p:9090").front();
  const std::vector<Sample> old{make_sample(0, kT0, {{Metric::power_w, 100.0}})};
  for (const DeviceId id : {live_id, traced_id, scraped_id}) store.append(std::vector<DeviceId>{id}, old);
  const auto result = store.apply_retention({24h, 48h}, kT0 + 3 * kDayMs);
  EXPECT_EQ(result.raw_deleted, 1);
  EXPECT_EQ(result.rollups_deleted, 1);
  EXPECT_TRUE(store.samples(live_id, kT0, kT0 + 1).empty());
  EXPECT_EQ(store.samples(traced_id, kT0, kT0 + 1).size(), 1U);
  EXPECT_EQ(store.samples(scraped_id, kT0, kT0 + 1).size(), 1U);
}

// Replaying an imported trace (or sampling the GPU live) registers the same UUID under a live
// origin; that used to turn the imported history into live samples that retention deleted.
TEST_F(StoreTest, AnImportedDeviceSampledLiveKeepsItsHistory) {
  auto store = Store::open(path());
  const std::vector<DeviceInfo> gpu{make_device(0, "GPU-1234")};
  const DeviceId id = store.register_devices(gpu, "import:runs/a.csv").front();
  store.append(std::vector<DeviceId>{id},
               std::vector<Sample>{make_sample(0, kT0, {{Metric::power_w, 100.0}})});
  EXPECT_EQ(store.register_devices(gpu, "replay@node1").front(), id);
  EXPECT_EQ(store.find_device("GPU-1234").origin, "import:runs/a.csv");
  EXPECT_EQ(store.apply_retention({24h, 48h}, kT0 + 3 * kDayMs).raw_deleted, 0);
  EXPECT_EQ(store.samples(id, kT0, kT0 + 1).size(), 1U);
  store.register_devices(gpu, "import:runs/b.csv");
  EXPECT_EQ(store.find_device("GPU-1234").origin, "import:runs/b.csv");
}

TEST_F(StoreTest, RemoveSamplesEmptiesOneDeviceOnly) {
  auto store = Store::open(path());
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa"), make_device(1, "GPU-bbbb")};
  const auto ids = store.register_devices(devices, "sim@test");
  std::vector<Sample> samples;
  for (EpochMs t = kT0; t < kT0 + 600'000; t += 1000) {
    for (int gpu = 0; gpu < 2; ++gpu)
      samples.push_back(make_sample(gpu, t, {{Metric::power_w, 100.0 + gpu}}));
  }
  store.append(ids, samples);
  EXPECT_EQ(store.remove_samples(ids[0]), 600);
  const SeriesQuery minutes{ids[0], Metric::power_w, kT0, kT0 + 600'000, 60s, Aggregation::mean};
  EXPECT_TRUE(store.query(minutes).empty());
  EXPECT_TRUE(store.samples(ids[0], kT0, kT0 + 600'000).empty());
  const auto kept = store.devices();
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].sample_count, 0);
  EXPECT_EQ(kept[1].sample_count, 600);
  SeriesQuery other = minutes;
  other.device = ids[1];
  EXPECT_EQ(store.query(other).size(), 10U);
  EXPECT_EQ(store.remove_samples(ids[0]), 0);
}

}  // namespace
}  // namespace gpuopt::test
