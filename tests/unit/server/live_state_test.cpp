#include "live_state.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gpuopt::server {
namespace {

Sample sample(int gpu, EpochMs t, double power_w) {
  Sample s{gpu, t, {}};
  s.values.set(Metric::power_w, power_w);
  return s;
}

TEST(LiveState, KeepsTheLatestSamplePerGpu) {
  LiveState state("host", 1000);
  state.set_source(SourceInfo{"sim", true, "", "", ""}, {DeviceInfo{}, DeviceInfo{}});
  const std::vector<Sample> first{sample(0, 1000, 100), sample(1, 1000, 200)};
  const std::vector<Sample> second{sample(1, 2000, 210)};
  state.record_samples(first, 1000);
  state.record_samples(second, 2000);
  const LiveSnapshot snap = state.snapshot(2500);
  EXPECT_EQ(snap.hostname, "host");
  EXPECT_EQ(snap.now_ms, 2500);
  EXPECT_EQ(snap.latest.at(0).values.get(Metric::power_w), 100);
  EXPECT_EQ(snap.latest.at(1).values.get(Metric::power_w), 210);
  EXPECT_EQ(snap.stats.samples_total, 3U);
  EXPECT_EQ(snap.stats.rounds_total, 2U);
  EXPECT_EQ(snap.stats.last_round_ms, 2000);
  EXPECT_EQ(snap.stats.sampler, SamplerState::running);
}

TEST(LiveState, EmptyRoundIsNotFreshData) {
  LiveState state("host", 0);
  state.record_samples({}, 5000);
  const LiveSnapshot snap = state.snapshot(5000);
  EXPECT_EQ(snap.stats.rounds_total, 1U);
  EXPECT_FALSE(snap.stats.last_round_ms);
  EXPECT_EQ(snap.stats.sampler, SamplerState::starting);
}

TEST(LiveState, CountsErrorsAndRequests) {
  LiveState state("host", 0);
  state.record_read_error("GPU 1: GPU is lost");
  state.record_store_error("disk full");
  state.count_request("/metrics");
  state.count_request("/metrics");
  state.set_sampler_state(SamplerState::failed, "NVML failed");
  const SelfStats stats = state.snapshot().stats;
  EXPECT_EQ(stats.read_errors_total, 1U);
  EXPECT_EQ(stats.store_errors_total, 1U);
  EXPECT_EQ(stats.http_requests.at("/metrics"), 2U);
  EXPECT_EQ(stats.sampler, SamplerState::failed);
  EXPECT_EQ(stats.last_error, "NVML failed");
}

TEST(LiveState, SinkFeedsTheState) {
  LiveState state("host", 0);
  LiveStateSink sink(state);
  DeviceInfo d;
  d.uuid = "GPU-1";
  sink.on_start(SourceInfo{"replay:x.csv", false, "", "", ""}, {d});
  const std::vector<Sample> round{sample(0, 10, 50)};
  sink.on_samples(round);
  sink.on_error("GPU 0: timeout");
  const LiveSnapshot snap = state.snapshot();
  EXPECT_EQ(snap.source.name, "replay:x.csv");
  ASSERT_EQ(snap.devices.size(), 1U);
  EXPECT_EQ(snap.devices[0].uuid, "GPU-1");
  EXPECT_EQ(snap.latest.at(0).values.get(Metric::power_w), 50);
  EXPECT_EQ(snap.stats.read_errors_total, 1U);
}

// A writer and readers at once: every snapshot is internally consistent (samples_total is
// the sum of the rounds recorded so far, one sample each).
TEST(LiveState, ConcurrentWriterAndReaders) {
  LiveState state("host", 0);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 2000; ++i) {
      const std::vector<Sample> round{sample(0, i, i)};
      state.record_samples(round, i);
    }
    done = true;
  });
  std::vector<std::thread> readers;
  std::atomic<int> inconsistent{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        const LiveSnapshot snap = state.snapshot();
        if (snap.stats.samples_total != snap.stats.rounds_total) ++inconsistent;
        if (snap.stats.rounds_total > 0 &&
            snap.latest.at(0).values.get(Metric::power_w) != static_cast<double>(snap.stats.rounds_total)) {
          ++inconsistent;
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(inconsistent, 0);
  EXPECT_EQ(state.snapshot().stats.samples_total, 2000U);
}

}  // namespace
}  // namespace gpuopt::server
