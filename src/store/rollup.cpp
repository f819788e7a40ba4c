#include "rollup.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "sample_columns.hpp"

namespace gpuopt::store {

EpochMs floor_to(EpochMs t, EpochMs step_ms) {
  const EpochMs rem = t % step_ms;
  return rem < 0 ? t - rem - step_ms : t - rem;
}

void MetricAggregate::add(EpochMs time_ms, double value) {
  if (count == 0) {
    min = max = value;
  } else {
    min = std::min(min, value);
    max = std::max(max, value);
  }
  ++count;
  sum += value;
  if (count == 1 || time_ms >= last_ms) {
    last = value;
    last_ms = time_ms;
  }
}

void MinuteBucket::add(EpochMs time_ms, const MetricValues& values) {
  // Only the metrics present (usually a few of the 15): this runs once per appended sample.
  for (std::uint32_t mask = values.valid_mask(); mask != 0; mask &= mask - 1) {
    const auto metric = static_cast<Metric>(std::countr_zero(mask));
    metrics[static_cast<std::size_t>(metric)].add(time_ms, *values.get(metric));
  }
}

namespace {

void bind_aggregate(Statement& st, const MinuteBucket& bucket, const MetricInfo& info,
                    const MetricAggregate& agg) {
  st.bind(1, bucket.device)
      .bind(2, info.column)
      .bind(3, bucket.bucket_ms)
      .bind(4, agg.count)
      .bind(5, agg.sum)
      .bind(6, agg.min)
      .bind(7, agg.max)
      .bind(8, agg.last)
      .bind(9, agg.last_ms);
}

}  // namespace

void merge_bucket(Database& db, const MinuteBucket& bucket) {
  auto st = db.prepare(R"sql(
INSERT INTO rollup_1m (device_id, metric, bucket_ms, count, sum, min, max, last, last_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (device_id, metric, bucket_ms) DO UPDATE SET
  count = count + excluded.count,
  sum = sum + excluded.sum,
  min = min(min, excluded.min),
  max = max(max, excluded.max),
  last = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last ELSE last END,
  last_ms = max(last_ms, excluded.last_ms))sql");
  for (const MetricInfo& info : all_metrics()) {
    const MetricAggregate& agg = bucket.metrics[static_cast<std::size_t>(info.metric)];
    if (agg.count == 0) continue;
    bind_aggregate(st, bucket, info, agg);
    st.run();
    st.reset();
  }
}

void rebuild_bucket(Database& db, DeviceId device, EpochMs bucket_ms) {
  MinuteBucket bucket{device, bucket_ms, {}};
  {
    auto st = db.prepare(
        fmt::format("SELECT time_ms, {} FROM samples WHERE device_id = ?1 AND time_ms >= ?2 AND time_ms < ?3",
                    metric_columns_sql()));
    st.bind(1, device).bind(2, bucket_ms).bind(3, bucket_ms + kRollupBucketMs);
    while (st.step()) bucket.add(st.int64(0), read_metrics(st, 1));
  }
  for (const MetricInfo& info : all_metrics()) {
    const MetricAggregate& agg = bucket.metrics[static_cast<std::size_t>(info.metric)];
    if (agg.count == 0) {
      auto st = db.prepare("DELETE FROM rollup_1m WHERE device_id = ?1 AND metric = ?2 AND bucket_ms = ?3");
      st.bind(1, device).bind(2, info.column).bind(3, bucket_ms);
      st.run();
      continue;
    }
    auto st = db.prepare(
        "INSERT OR REPLACE INTO rollup_1m (device_id, metric, bucket_ms, count, sum, min, max, last, "
        "last_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    bind_aggregate(st, bucket, info, agg);
    st.run();
  }
}

}  // namespace gpuopt::store
