// Writing raw rows into the samples table with multi-row INSERT OR REPLACE statements that name
// only the metric columns the rows have (an unnamed column is NULL, the same as an absent metric).
#pragma once

#include <span>

#include "gpuopt/sample.hpp"
#include "gpuopt/store.hpp"
#include "sqlite_db.hpp"

namespace gpuopt::store {

// Inserts `samples` as rows of `device` (Sample::gpu is ignored); a row with the same
// (device, time) already stored is replaced. Times must be distinct. Call inside a
// Transaction. Throws StoreError.
void insert_samples(Database& db, DeviceId device, std::span<const Sample> samples);

}  // namespace gpuopt::store
