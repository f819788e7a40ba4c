// The store's file format: identification (application_id), schema version (user_version)
// and the SQL that creates or migrates the tables. docs/store.md describes the tables.
#pragma once

#include <cstdint>

#include "sqlite_db.hpp"

namespace gpuopt::store {

// PRAGMA application_id of every gpuopt store: "GPUO" in ASCII.
inline constexpr std::int32_t kApplicationId = 0x4750554F;

// PRAGMA user_version written by this build; older stores are migrated when opened read-write.
inline constexpr int kSchemaVersion = 1;

// Checks that `db` is a gpuopt store this build can use and sets the connection's pragmas.
// Writable: an empty file gets the schema (8 KiB pages), an older schema is migrated, the file is
// put in WAL mode (synchronous=NORMAL), and the connection gets a 16 MiB page cache. Read-only: nothing is
// written, so the file must already hold the current schema. Throws StoreError (and writes nothing) for a
// file that is not SQLite, is corrupt, belongs to another program, or has a newer schema.
void prepare_schema(Database& db, bool writable);

}  // namespace gpuopt::store
