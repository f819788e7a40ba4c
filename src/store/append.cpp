// Store::append: raw samples plus their 1-minute roll-ups, in one transaction.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "rollup.hpp"
#include "sample_insert.hpp"
#include "store_impl.hpp"

namespace gpuopt {
namespace {

// One device's part of a batch, ordered by time, with only the last of several samples for the
// same time (as the table keeps).
struct DeviceSamples {
  DeviceId device = 0;
  std::vector<Sample> samples;
};

void order_and_deduplicate(std::vector<Sample>& samples) {
  const auto time_less = [](const Sample& a, const Sample& b) { return a.time_ms < b.time_ms; };
  // Sources deliver each GPU's samples in time order: sort only when they are not.
  if (!std::is_sorted(samples.begin(), samples.end(), time_less)) {
    std::stable_sort(samples.begin(), samples.end(), time_less);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i + 1 < samples.size() && samples[i + 1].time_ms == samples[i].time_ms) continue;
    samples[kept++] = samples[i];
  }
  samples.resize(kept);
}

// The batch split by device (devices without samples left out); several gpu indices may name
// the same device id. Copies, so that each device's samples are contiguous: the inserts then
// read memory in order instead of every n-th sample of an interleaved batch (measurably faster).
std::vector<DeviceSamples> split_by_device(std::span<const DeviceId> device_ids,
                                           std::span<const Sample> samples) {
  std::vector<DeviceSamples> groups;
  std::vector<std::size_t> group_of_gpu;
  for (const DeviceId id : device_ids) {
    const auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.device == id; });
    group_of_gpu.push_back(static_cast<std::size_t>(it - groups.begin()));
    if (it == groups.end()) groups.push_back({id, {}});
  }
  std::vector<std::size_t> group_sizes(groups.size());
  for (const Sample& s : samples) {
    if (s.gpu < 0 || static_cast<std::size_t>(s.gpu) >= device_ids.size()) {
      throw UsageError(fmt::format("sample at {} refers to gpu {}, but only {} device ids were given",
                                   format_iso8601(s.time_ms), s.gpu, device_ids.size()));
    }
    ++group_sizes[group_of_gpu[static_cast<std::size_t>(s.gpu)]];
  }
  for (std::size_t i = 0; i < groups.size(); ++i) groups[i].samples.reserve(group_sizes[i]);
  for (const Sample& s : samples) groups[group_of_gpu[static_cast<std::size_t>(s.gpu)]].samples.push_back(s);
  std::erase_if(groups, [](const DeviceSamples& g) { return g.samples.empty(); });
  for (DeviceSamples& g : groups) order_and_deduplicate(g.samples);
  // In primary key order: in a new store, each device's rows then go to the end of the table.
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.device < b.device; });
  return groups;
}

// The device's latest stored sample time (nullopt if none); UsageError for an unknown id.
std::optional<EpochMs> latest_sample_ms(store::Database& db, DeviceId device) {
  auto st =
      db.prepare("SELECT (SELECT max(time_ms) FROM samples WHERE device_id = ?1) FROM devices WHERE id = ?1");
  st.bind(1, device);
  if (!st.step()) throw UsageError(fmt::format("{}: no device with id {}", db.path(), device));
  return st.optional_int64(0);
}

// How many of `samples` (of one device) are not stored yet.
std::int64_t count_new(store::Database& db, DeviceId device, std::span<const Sample> samples) {
  std::int64_t added = 0;
  auto st = db.prepare("SELECT 1 FROM samples WHERE device_id = ?1 AND time_ms = ?2");
  for (const Sample& s : samples) {
    st.bind(1, device).bind(2, s.time_ms);
    if (!st.step()) ++added;
    st.reset();
  }
  return added;
}

// Writes each minute the samples (of one device, ordered by time, already inserted) touch once.
void update_rollups(store::Database& db, DeviceId device, std::span<const Sample> samples,
                    std::optional<EpochMs> latest_before_ms) {
  store::MinuteBucket bucket{device, store::floor_to(samples.front().time_ms, store::kRollupBucketMs), {}};
  // A minute that receives a sample at or before the device's latest previously stored one may
  // hold samples this batch replaced: it is rebuilt from raw samples instead of merged into.
  bool rebuild = false;
  const auto flush = [&] {
    if (rebuild) {
      store::rebuild_bucket(db, device, bucket.bucket_ms);
    } else {
      store::merge_bucket(db, bucket);
    }
  };
  for (const Sample& s : samples) {
    // Ordered by time: a sample is in the current minute or in a later one.
    if (s.time_ms >= bucket.bucket_ms + store::kRollupBucketMs) {
      flush();
      bucket = store::MinuteBucket{device, store::floor_to(s.time_ms, store::kRollupBucketMs), {}};
      rebuild = false;
    }
    bucket.add(s.time_ms, s.values);
    rebuild = rebuild || (latest_before_ms && s.time_ms <= *latest_before_ms);
  }
  flush();
}

void append_device(store::Database& db, DeviceId device, std::span<const Sample> samples) {
  const std::optional<EpochMs> latest_ms = latest_sample_ms(db, device);
  // Only samples at or before the latest stored one (the first ones, in time order) may exist.
  const auto is_older = [&](const Sample& s) { return latest_ms && s.time_ms <= *latest_ms; };
  const auto older = samples.first(static_cast<std::size_t>(
      std::partition_point(samples.begin(), samples.end(), is_older) - samples.begin()));
  const std::int64_t added =
      count_new(db, device, older) + static_cast<std::int64_t>(samples.size() - older.size());
  store::insert_samples(db, device, samples);
  update_rollups(db, device, samples, latest_ms);
  auto st = db.prepare("UPDATE devices SET sample_count = sample_count + ?2 WHERE id = ?1");
  st.bind(1, device).bind(2, added);
  st.run();
}

}  // namespace

void Store::append(std::span<const DeviceId> device_ids, std::span<const Sample> samples) {
  const std::vector<DeviceSamples> groups = split_by_device(device_ids, samples);
  store::Transaction tx(impl_->db);
  for (const DeviceSamples& g : groups) append_device(impl_->db, g.device, g.samples);
  tx.commit();
}

}  // namespace gpuopt
