#include "schema.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/metric.hpp"

namespace gpuopt::store {
namespace {

static_assert(kMetricCount == 15, "a new Metric needs a migration adding its column to samples");

// Version 0 -> 1. The samples columns follow metric.hpp's order and MetricInfo::column names.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  name TEXT NOT NULL,
  gpu_index INTEGER NOT NULL,
  pci_bus_id TEXT NOT NULL,
  mem_total_mib REAL,
  power_limit_default_w REAL,
  power_limit_min_w REAL,
  power_limit_max_w REAL,
  sm_clock_max_mhz REAL,
  mem_clock_max_mhz REAL,
  graphics_clock_max_mhz REAL,
  simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  sample_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE samples (
  device_id INTEGER NOT NULL REFERENCES devices (id),
  time_ms INTEGER NOT NULL,
  gpu_util_pct REAL,
  mem_util_pct REAL,
  mem_used_mib REAL,
  mem_free_mib REAL,
  mem_total_mib REAL,
  temperature_c REAL,
  power_w REAL,
  power_limit_w REAL,
  sm_clock_mhz REAL,
  mem_clock_mhz REAL,
  graphics_clock_mhz REAL,
  energy_mj REAL,
  fan_speed_pct REAL,
  pstate REAL,
  throttle_reasons REAL,
  PRIMARY KEY (device_id, time_ms)
) WITHOUT ROWID;
CREATE TABLE rollup_1m (
  device_id INTEGER NOT NULL REFERENCES devices (id),
  metric TEXT NOT NULL,
  bucket_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  last REAL NOT NULL,
  last_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, metric, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  device_id INTEGER REFERENCES devices (id),
  kind TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
  message TEXT NOT NULL,
  details_json TEXT NOT NULL CHECK (json_valid(details_json))
);
CREATE INDEX events_by_time ON events (time_ms);
)sql";

// kMigrations[v] upgrades a store from user_version v to v + 1.
constexpr std::array<std::string_view, kSchemaVersion> kMigrations{kSchemaV1};

struct FileIdentity {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  std::vector<std::string> tables;
};

FileIdentity identify(Database& db) {
  FileIdentity id;
  // The first read of the file: a non-SQLite or corrupt file fails here, before any write.
  id.application_id = db.pragma_int("application_id");
  id.version = db.pragma_int("user_version");
  auto st = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  while (st.step()) id.tables.push_back(st.text(0));
  return id;
}

// Throws unless the file is a gpuopt store of a version this build knows, or an empty database.
void check_identity(const Database& db, const FileIdentity& id) {
  if (id.application_id == kApplicationId) {
    if (id.version > kSchemaVersion) {
      throw StoreError(
          fmt::format("{} was written by a newer gpuopt (schema version {}; this build reads up to {})",
                      db.path(), id.version, kSchemaVersion));
    }
    return;
  }
  if (id.application_id != 0) {
    throw StoreError(fmt::format("{} is not a gpuopt store (application_id 0x{:08X}, expected 0x{:08X})",
                                 db.path(), static_cast<std::uint32_t>(id.application_id),
                                 static_cast<std::uint32_t>(kApplicationId)));
  }
  if (!id.tables.empty()) {
    throw StoreError(fmt::format("{} is not a gpuopt store (application_id 0, tables: {})", db.path(),
                                 fmt::join(id.tables, ", ")));
  }
}

void migrate(Database& db) {
  Transaction tx(db);
  // Re-read under the write lock: another process may have created or migrated the file.
  const FileIdentity id = identify(db);
  check_identity(db, id);
  for (auto version = id.version; version < kSchemaVersion; ++version) {
    db.exec(std::string(kMigrations[static_cast<std::size_t>(version)]));
  }
  db.exec(
      fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}", kApplicationId, kSchemaVersion));
  tx.commit();
}

}  // namespace

void prepare_schema(Database& db, bool writable) {
  const FileIdentity id = identify(db);
  check_identity(db, id);
  const bool current = id.application_id == kApplicationId && id.version == kSchemaVersion;
  if (!writable) {
    if (!current) {
      throw StoreError(fmt::format("{} holds no gpuopt store yet (schema version {}); write to it first",
                                   db.path(), id.version));
    }
    return;
  }
  // Before the switch to WAL, which is the first write to a new file: only a file without
  // content takes a page size, and the switch (a rollback-journal transaction that journals
  // no page of a new file) then needs one fsync less.
  db.exec("PRAGMA page_size = 8192; PRAGMA synchronous = NORMAL");
  if (const auto mode = db.pragma_text("journal_mode = WAL"); mode != "wal") {
    throw StoreError(fmt::format("{}: cannot switch to WAL mode (journal_mode is {})", db.path(), mode));
  }
  // 16 MiB of page cache instead of SQLite's 2 MiB: an append of tens of thousands of samples
  // dirties more pages than that, and spilling them to the WAL before the commit writes many twice.
  db.exec("PRAGMA cache_size = -16384");
  if (!current) migrate(db);
}

}  // namespace gpuopt::store
