// Store::append: raw samples plus their 1-minute roll-ups, in one transaction.
#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "rollup.hpp"
#include "sample_columns.hpp"
#include "store_impl.hpp"

namespace gpuopt {
namespace {

struct Row {
  DeviceId device;
  const Sample* sample;
};

// The batch ordered by (device, time) -- the primary key's order, which keeps inserts local
// -- with only the last of several samples for the same (device, time), as the table keeps.
std::vector<Row> ordered_rows(std::span<const DeviceId> device_ids, std::span<const Sample> samples) {
  std::vector<Row> rows;
  rows.reserve(samples.size());
  for (const Sample& s : samples) {
    if (s.gpu < 0 || static_cast<std::size_t>(s.gpu) >= device_ids.size()) {
      throw UsageError(fmt::format("sample at {} refers to gpu {}, but only {} device ids were given",
                                   format_iso8601(s.time_ms), s.gpu, device_ids.size()));
    }
    rows.push_back({device_ids[static_cast<std::size_t>(s.gpu)], &s});
  }
  const auto key_less = [](const Row& a, const Row& b) {
    return a.device != b.device ? a.device < b.device : a.sample->time_ms < b.sample->time_ms;
  };
  std::stable_sort(rows.begin(), rows.end(), key_less);
  std::vector<Row> unique;
  unique.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i + 1 < rows.size() && !key_less(rows[i], rows[i + 1])) continue;
    unique.push_back(rows[i]);
  }
  return unique;
}

// The device's latest stored sample time (nullopt if none); UsageError for an unknown id.
std::optional<EpochMs> latest_sample_ms(store::Database& db, DeviceId device) {
  auto st =
      db.prepare("SELECT (SELECT max(time_ms) FROM samples WHERE device_id = ?1) FROM devices WHERE id = ?1");
  st.bind(1, device);
  if (!st.step()) throw UsageError(fmt::format("{}: no device with id {}", db.path(), device));
  return st.optional_int64(0);
}

bool sample_exists(store::Database& db, DeviceId device, EpochMs time_ms) {
  auto st = db.prepare("SELECT 1 FROM samples WHERE device_id = ?1 AND time_ms = ?2");
  st.bind(1, device).bind(2, time_ms);
  return st.step();
}

void insert_sample(store::Database& db, DeviceId device, const Sample& s) {
  static const std::string sql = [] {
    std::string params;
    for (std::size_t i = 0; i < kMetricCount; ++i) params += fmt::format(", ?{}", i + 3);
    return fmt::format("INSERT OR REPLACE INTO samples (device_id, time_ms, {}) VALUES (?1, ?2{})",
                       store::metric_columns_sql(), params);
  }();
  auto st = db.prepare(sql);
  st.bind(1, device).bind(2, s.time_ms);
  store::bind_metrics(st, 3, s.values);
  st.run();
}

// Writes one device's rows (ordered by time) with their roll-ups and sample count.
void append_device(store::Database& db, DeviceId device, std::span<const Row> rows) {
  const std::optional<EpochMs> latest = latest_sample_ms(db, device);
  std::int64_t added = 0;
  store::MinuteBucket bucket{
      device, store::floor_to(rows.front().sample->time_ms, store::kRollupBucketMs), {}};
  // A minute that receives a sample at or before the device's latest stored one may hold
  // samples this batch replaces: it is rebuilt from raw samples instead of merged into.
  bool rebuild = false;
  const auto flush = [&] {
    if (rebuild) {
      store::rebuild_bucket(db, device, bucket.bucket_ms);
    } else {
      store::merge_bucket(db, bucket);
    }
  };
  for (const Row& row : rows) {
    const EpochMs time_ms = row.sample->time_ms;
    if (const EpochMs bucket_ms = store::floor_to(time_ms, store::kRollupBucketMs);
        bucket_ms != bucket.bucket_ms) {
      flush();
      bucket = store::MinuteBucket{device, bucket_ms, {}};
      rebuild = false;
    }
    const bool late = latest && time_ms <= *latest;
    if (!late || !sample_exists(db, device, time_ms)) ++added;
    insert_sample(db, device, *row.sample);
    bucket.add(time_ms, row.sample->values);
    rebuild = rebuild || late;
  }
  flush();
  auto st = db.prepare("UPDATE devices SET sample_count = sample_count + ?2 WHERE id = ?1");
  st.bind(1, device).bind(2, added);
  st.run();
}

}  // namespace

void Store::append(std::span<const DeviceId> device_ids, std::span<const Sample> samples) {
  const std::vector<Row> rows = ordered_rows(device_ids, samples);
  store::Transaction tx(impl_->db);
  for (auto first = rows.begin(); first != rows.end();) {
    const auto last =
        std::find_if(first, rows.end(), [&](const Row& row) { return row.device != first->device; });
    append_device(impl_->db, first->device, std::span(first, last));
    first = last;
  }
  tx.commit();
}

}  // namespace gpuopt
