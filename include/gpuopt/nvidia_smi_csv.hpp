// Reader of `nvidia-smi --query-gpu=... --format=csv[,nounits]` output as people have it:
// header-driven (any subset of fields, units in the header such as "power.draw [W]"),
// "[N/A]" / "[Not Supported]" values, values with or without units, an "index" column or
// GPUs interleaved without one, and a truncated last line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/sample.hpp"

namespace gpuopt {

struct CsvReadOptions {
  // GPUs interleaved round-robin in a file without an "index" column; 0 = detect them from
  // the timestamps of the first rows (rows of one sampling round are a few ms apart, rounds a
  // sampling period apart). Ignored (with a warning issue) when the file has an index or uuid
  // column.
  int gpus = 0;
  std::size_t batch_rows = 65536;  // samples handed to on_batch at a time
  // Called before the first batch that holds a GPU not seen before, with every GPU seen so
  // far (so a caller can register devices before storing their samples). Optional.
  std::function<void(std::span<const DeviceInfo>)> on_devices;
  // Called after each block read from the file (about every MiB). Optional.
  std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)> on_progress;
  // What the ids of GPUs identified by their position start with ("" = positional_device_id_prefix
  // of the path); `gpuopt import` lengthens it when another file already holds that name.
  std::string id_prefix;
};

// A row that was skipped or a problem worth telling, "file:line: reason".
struct CsvIssue {
  std::string file;
  std::size_t line = 0;
  std::string message;
  std::string to_string() const;
};

struct CsvReadResult {
  // One per GPU seen, in order of first appearance (nvidia-smi prints GPUs in index order);
  // Sample::gpu is the position in this list, DeviceInfo::index the nvidia-smi index.
  std::vector<DeviceInfo> devices;
  std::size_t rows_read = 0;                 // data rows kept
  std::size_t rows_skipped = 0;              // data rows rejected (each has an issue)
  bool truncated_last_line = false;          // the file ended mid-row (that row was skipped)
  std::vector<std::string> ignored_columns;  // header fields gpuopt does not know
  std::vector<CsvIssue> issues;              // at most the first 100; rows_skipped counts all
  std::size_t issue_count = 0;               // all issues, including those beyond the first 100
  int interleaved_gpus = 1;                  // GPUs the rows cycle through (1 with an index column)
  bool interleaved_gpus_detected = false;    // interleaved_gpus came from the timestamps
  // The first row whose time goes back from an earlier row of its GPU (also among `issues`, when
  // there were fewer than 100 before it); line 0 = none.
  CsvIssue first_time_reversal;
};

// "trace:<parent-dir>/<file>:gpu": what the ids of `path`'s GPUs start with when the file has no
// uuid column (they are identified by their position, see below). With `components` > 2, that
// many trailing components of the absolute path ("trace:node-a/run1/nvidia-smi.csv:gpu"); 0 = all.
std::string positional_device_id_prefix(const std::string& path, int components = 2);

// Reads the whole file, handing samples to `on_batch` in file order (several calls).
// Bad rows are skipped and reported as issues ("file:line: field 'F': reason").
// Devices without a uuid column get the stable id "trace:<parent-dir>/<file>:gpu<N>".
// Throws ParseError (file, line, field) when the file cannot be used at all: missing or
// unreadable, empty, no header, no known metric column, or no timestamp column.
CsvReadResult read_nvidia_smi_csv(const std::string& path, const CsvReadOptions& options,
                                  const std::function<void(std::span<const Sample>)>& on_batch);

}  // namespace gpuopt
