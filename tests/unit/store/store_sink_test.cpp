#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "gpuopt/error.hpp"
#include "gpuopt/sampler.hpp"
#include "gpuopt/store_sink.hpp"
#include "gpuopt/telemetry.hpp"
#include "sqlite_db.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using namespace std::chrono_literals;

class StoreSinkTest : public StoreTest {};

SourceInfo source_named(const std::string& name) {
  SourceInfo s;
  s.name = name;
  return s;
}

TEST_F(StoreSinkTest, RegistersDevicesUnderTheLiveOrigin) {
  Store store = Store::open(path());
  StoreSink sink(store);
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-a"), make_device(1, "GPU-b")};
  sink.on_start(source_named("nvml"), devices);

  const std::string origin = live_origin(source_named("nvml"));
  EXPECT_TRUE(origin.starts_with("nvml@"));
  EXPECT_GT(origin.size(), std::string("nvml@").size());
  const auto stored = store.devices();
  ASSERT_EQ(stored.size(), 2u);
  ASSERT_EQ(sink.device_ids().size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& d = store.find_device("#" + std::to_string(sink.device_ids()[i]));
    EXPECT_EQ(d.origin, origin);
    EXPECT_EQ(d.info.uuid, devices[i].uuid);
  }
}

TEST_F(StoreSinkTest, WritesBufferedSamplesOnlyOnFlush) {
  Store store = Store::open(path());
  StoreSink sink(store);
  sink.on_start(source_named("sim"), {make_device(0, "sim-0"), make_device(1, "sim-1")});
  const std::vector<Sample> round1{make_sample(0, kT0, {{Metric::power_w, 100}}),
                                   make_sample(1, kT0, {{Metric::power_w, 200}})};
  const std::vector<Sample> round2{make_sample(1, kT0 + 100, {{Metric::power_w, 210}})};
  sink.on_samples(round1);
  sink.on_samples(round2);
  EXPECT_TRUE(store.samples(sink.device_ids()[1], kT0, kT0 + 1000).empty());
  EXPECT_EQ(sink.samples_written(), 0u);

  sink.flush();
  EXPECT_EQ(sink.samples_written(), 3u);
  const auto gpu1 = store.samples(sink.device_ids()[1], kT0, kT0 + 1000);
  ASSERT_EQ(gpu1.size(), 2u);
  EXPECT_EQ(gpu1[0].values.get(Metric::power_w), 200);
  EXPECT_EQ(gpu1[1].time_ms, kT0 + 100);
  EXPECT_EQ(store.samples(sink.device_ids()[0], kT0, kT0 + 1000).size(), 1u);

  sink.flush();  // nothing new: nothing written twice
  EXPECT_EQ(sink.samples_written(), 3u);
}

TEST_F(StoreSinkTest, AFailedFlushKeepsTheSamplesAndThrows) {
  Store store = Store::open(path());
  StoreSink sink(store);
  sink.on_start(source_named("sim"), {make_device(0, "sim-0")});
  sink.on_samples(std::vector<Sample>{make_sample(3, kT0, {{Metric::power_w, 1}})});
  EXPECT_THROW(sink.flush(), UsageError);
  EXPECT_THROW(sink.flush(), UsageError);
  EXPECT_EQ(sink.samples_written(), 0u);
}

// Another process holding the write lock (a long import) costs a flush its short wait, not the
// store's 10 s: the rounds stay buffered and the next flush writes them.
TEST_F(StoreSinkTest, ALockedStoreFailsTheFlushFastAndKeepsTheSamples) {
  Store store = Store::open(path());
  StoreSink sink(store, StoreSink::kSamplerFlushWait);
  sink.on_start(source_named("sim"), {make_device(0, "sim-0")});
  sink.on_samples(std::vector<Sample>{make_sample(0, kT0, {{Metric::power_w, 1}})});
  {
    store::Database other(path(), store::Database::Access::read_write_create);
    other.exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(sink.flush(), StoreError);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    other.exec("COMMIT");
  }
  sink.flush();
  EXPECT_EQ(sink.samples_written(), 1u);
  EXPECT_EQ(store.samples(sink.device_ids()[0], kT0, kT0 + 1).size(), 1u);
}

TEST_F(StoreSinkTest, StoresEverySampleOfASamplerRun) {
  SourceOptions options;
  options.gpus = 2;
  const auto source = open_source("sim", options);
  Store store = Store::open(path());
  StoreSink sink(store);
  SampleSink* sinks[] = {&sink};
  SamplerOptions sampler;
  sampler.interval = 10ms;
  sampler.duration = 100ms;
  sampler.flush_every = 30ms;
  std::atomic<bool> stop{false};
  const SamplerStats stats = run_sampler(*source, sinks, sampler, stop);

  EXPECT_EQ(sink.samples_written(), stats.samples);
  std::int64_t stored = 0;
  for (const StoredDevice& d : store.devices()) {
    EXPECT_EQ(d.origin, live_origin(source->info()));
    EXPECT_TRUE(d.info.simulated);
    stored += d.sample_count;
  }
  EXPECT_EQ(stored, static_cast<std::int64_t>(stats.samples));
  EXPECT_GE(stats.samples, 2u * 8u);
}

TEST_F(StoreSinkTest, BoundsTheBufferByDroppingTheOldestSamples) {
  Store store = Store::open(path());
  StoreSink sink(store);
  sink.on_start(source_named("sim"), {make_device(0, "sim-0")});
  constexpr std::size_t kTotal = StoreSink::kMaxPendingSamples + 5;
  std::vector<Sample> round(1);
  for (std::size_t i = 0; i < kTotal; ++i) {
    round[0] = make_sample(0, kT0 + static_cast<EpochMs>(i), {{Metric::power_w, 100}});
    sink.on_samples(round);
  }
  sink.flush();
  EXPECT_GT(sink.samples_dropped(), 0u);
  EXPECT_LE(sink.samples_written(), StoreSink::kMaxPendingSamples);
  EXPECT_EQ(sink.samples_written() + sink.samples_dropped(), kTotal);
  const StoredDevice d = store.find_device("0");
  EXPECT_EQ(d.first_ms, kT0 + static_cast<EpochMs>(sink.samples_dropped()));
  EXPECT_EQ(d.last_ms, kT0 + static_cast<EpochMs>(kTotal - 1));
}

// A locked store fails two flushes: the run goes on, every failure is counted, one is warned
// about (the next warning waits a minute), and the rounds are written once the lock is gone.
TEST_F(StoreSinkTest, TolerantSinkCountsEveryFailureWarnsOnceAndKeepsTheRounds) {
  Store store = Store::open(path());
  StoreSink sink(store, StoreSink::kSamplerFlushWait);
  int counted = 0;
  std::vector<std::string> warnings;
  TolerantSink tolerant(sink,
                        {.count = [&](const Error&) { ++counted; },
                         .warn = [&](std::string_view what, const Error&) { warnings.emplace_back(what); }},
                        /*tolerate_start=*/false);
  tolerant.on_start(source_named("sim"), {make_device(0, "sim-0")});
  tolerant.on_samples(std::vector<Sample>{make_sample(0, kT0, {{Metric::power_w, 1}})});
  {
    store::Database other(path(), store::Database::Access::read_write_create);
    other.exec("BEGIN IMMEDIATE");
    EXPECT_NO_THROW(tolerant.flush());
    tolerant.on_samples(std::vector<Sample>{make_sample(0, kT0 + 1, {{Metric::power_w, 2}})});
    EXPECT_NO_THROW(tolerant.flush());
    other.exec("COMMIT");
  }
  EXPECT_EQ(counted, 2);
  EXPECT_EQ(warnings, std::vector<std::string>{"flush"});
  EXPECT_EQ(sink.samples_written(), 0u);
  tolerant.flush();
  EXPECT_EQ(sink.samples_written(), 2u);
  EXPECT_EQ(counted, 2);
}

// collect: a store that cannot register the devices ends the run; serve tolerates it.
TEST_F(StoreSinkTest, TolerantSinkPropagatesAFailedStartUnlessTold) {
  class FailingStart final : public SampleSink {
   public:
    void on_start(const SourceInfo&, const std::vector<DeviceInfo>&) override { throw StoreError("locked"); }
    void on_samples(std::span<const Sample>) override {}
  } failing;
  int counted = 0;
  TolerantSink strict(failing, {.count = [&](const Error&) { ++counted; }, .warn = {}}, false);
  EXPECT_THROW(strict.on_start(source_named("sim"), {}), StoreError);
  EXPECT_EQ(counted, 0);
  TolerantSink lenient(failing, {.count = [&](const Error&) { ++counted; }, .warn = {}}, true);
  EXPECT_NO_THROW(lenient.on_start(source_named("sim"), {}));
  EXPECT_EQ(counted, 1);
}

}  // namespace
}  // namespace gpuopt::test
