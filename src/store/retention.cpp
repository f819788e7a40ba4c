// Deleting samples: Store::apply_retention (raw samples expire first; 1-minute roll-ups are kept
// longer) and Store::remove_samples (everything of one device).
#include <vector>

#include "gpuopt/store.hpp"
#include "sqlite_db.hpp"
#include "store_impl.hpp"

namespace gpuopt {

RetentionResult Store::apply_retention(const RetentionPolicy& policy, EpochMs now) {
  auto& db = impl_->db;
  const EpochMs raw_cutoff = now - policy.raw.count();
  const EpochMs rollup_cutoff = now - policy.rollup.count();
  RetentionResult result;
  store::Transaction tx(db);
  std::vector<DeviceId> ids;
  {
    // Imported history is the user's record, usually older than any live window: never expired.
    auto st = db.prepare(
        "SELECT id FROM devices WHERE origin NOT LIKE 'import:%' AND origin NOT LIKE 'prometheus:%'");
    while (st.step()) ids.push_back(st.int64(0));
  }
  // Per device (and metric), so each DELETE is a range of the primary key, not a table scan.
  // Roll-ups of the deleted raw samples already exist: append builds them.
  for (const DeviceId id : ids) {
    auto raw = db.prepare("DELETE FROM samples WHERE device_id = ?1 AND time_ms < ?2");
    raw.bind(1, id).bind(2, raw_cutoff);
    raw.run();
    const std::int64_t deleted = db.changes();
    result.raw_deleted += deleted;
    auto count = db.prepare("UPDATE devices SET sample_count = sample_count - ?2 WHERE id = ?1");
    count.bind(1, id).bind(2, deleted);
    count.run();
    for (const MetricInfo& info : all_metrics()) {
      auto rollup =
          db.prepare("DELETE FROM rollup_1m WHERE device_id = ?1 AND metric = ?2 AND bucket_ms < ?3");
      rollup.bind(1, id).bind(2, info.column).bind(3, rollup_cutoff);
      rollup.run();
      result.rollups_deleted += db.changes();
    }
  }
  tx.commit();
  return result;
}

std::int64_t Store::remove_samples(DeviceId device) {
  auto& db = impl_->db;
  store::Transaction tx(db);
  auto raw = db.prepare("DELETE FROM samples WHERE device_id = ?1");
  raw.bind(1, device);
  raw.run();
  const std::int64_t deleted = db.changes();
  auto rollups = db.prepare("DELETE FROM rollup_1m WHERE device_id = ?1");
  rollups.bind(1, device);
  rollups.run();
  auto count = db.prepare("UPDATE devices SET sample_count = 0 WHERE id = ?1");
  count.bind(1, device);
  count.run();
  tx.commit();
  return deleted;
}

}  // namespace gpuopt
