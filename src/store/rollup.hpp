// The 1-minute roll-ups (table rollup_1m): per device, metric and minute, the count, sum,
// min, max and last value of the raw samples. Built while appending, kept longer than raw
// samples, and read by resampled queries whose step is a whole number of minutes.
#pragma once

#include <array>
#include <cstdint>

#include "gpuopt/metric.hpp"
#include "gpuopt/store.hpp"
#include "sqlite_db.hpp"

namespace gpuopt::store {

inline constexpr EpochMs kRollupBucketMs = 60'000;

// Start of the step-aligned bucket holding t (a multiple of step_ms since the epoch; also
// for negative t). step_ms > 0.
EpochMs floor_to(EpochMs t, EpochMs step_ms);

// One metric's aggregate; empty while count == 0.
struct MetricAggregate {
  std::int64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  double last = 0;  // the value at last_ms, the latest sample time added
  EpochMs last_ms = 0;

  void add(EpochMs time_ms, double value);
};

// Every metric of one device over one minute [bucket_ms, bucket_ms + 1 min).
struct MinuteBucket {
  DeviceId device = 0;
  EpochMs bucket_ms = 0;
  std::array<MetricAggregate, kMetricCount> metrics{};

  void add(EpochMs time_ms, const MetricValues& values);
};

// Adds the bucket's aggregates to the stored ones (count and sum added, min/max widened,
// last taken from the later of the two). Use for samples newer than any stored for the device.
void merge_bucket(Database& db, const MinuteBucket& bucket);

// Rebuilds one minute's roll-ups from the raw samples stored for it (metrics without samples
// lose their row). Use when samples were replaced or inserted out of order.
void rebuild_bucket(Database& db, DeviceId device, EpochMs bucket_ms);

}  // namespace gpuopt::store
