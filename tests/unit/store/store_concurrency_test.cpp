// One writer and concurrent readers on the same file (WAL): readers never see SQLITE_BUSY.
#include <atomic>
#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using namespace std::chrono_literals;

TEST_F(StoreTest, ReaderQueriesWhileWriterAppends) {
  constexpr int kBatches = 150;
  constexpr int kBatchSamples = 200;
  auto writer = Store::open(path());
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa")};
  const auto ids = writer.register_devices(devices, "sim@test");
  std::atomic<bool> writing{true};
  std::string reader_error;
  int reader_queries = 0;
  std::thread reader([&] {
    try {
      auto store = Store::open(path(), Store::Mode::read_only);
      std::int64_t seen = 0;
      while (writing.load()) {
        const auto device = store.find_device("0");
        // Every committed batch is whole: counts grow by whole batches and never shrink.
        EXPECT_GE(device.sample_count, seen);
        EXPECT_EQ(device.sample_count % kBatchSamples, 0);
        seen = device.sample_count;
        store.query({device.id, Metric::power_w, kT0, kT0 + 3'600'000, 60s, Aggregation::mean});
        ++reader_queries;
      }
    } catch (const std::exception& e) {
      reader_error = e.what();
    }
  });
  for (int batch = 0; batch < kBatches; ++batch) {
    std::vector<Sample> samples;
    for (int i = 0; i < kBatchSamples; ++i) {
      const EpochMs t = kT0 + (batch * kBatchSamples + i) * 100LL;
      samples.push_back(make_sample(0, t, {{Metric::power_w, 100.0 + i}}));
    }
    writer.append(ids, samples);
  }
  writing.store(false);
  reader.join();
  EXPECT_EQ(reader_error, "");
  EXPECT_GT(reader_queries, 0);
  EXPECT_EQ(writer.devices().at(0).sample_count, kBatches * kBatchSamples);
}

}  // namespace
}  // namespace gpuopt::test
