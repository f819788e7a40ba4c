// Internal: how many GPUs a trace without an index column interleaves.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "gpuopt/time.hpp"

namespace gpuopt::csv {

// nvidia-smi writes one row per GPU per sampling round, the rows of a round within a few ms of
// each other and the rounds one sampling period apart. Returns the round size N in 2..16 whose
// round-boundary gaps (10th percentile) are at least 4x the gaps inside rounds (90th
// percentile), the clearest such N if several fit, and 1 when none does (fewer than 4 rounds,
// or evenly spaced rows). Timestamps in file order.
int detect_interleaved_gpus(std::span<const EpochMs> timestamps);

// The timestamps of the first `max_rows` data rows of a CSV file whose header has the timestamp
// in field `timestamp_field` (0-based); rows whose timestamp does not parse are left out.
std::vector<EpochMs> leading_timestamps(const std::string& path, int timestamp_field, std::size_t max_rows);

}  // namespace gpuopt::csv
