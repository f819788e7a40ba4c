// Loading nvidia-smi CSV traces for training and evaluation.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gpuopt/forecast/series.hpp"

namespace gpuopt::forecast {

struct TraceLoadOptions {
  int gpus = 0;  // GPUs interleaved in files without an index column; 0 = detect (as `gpuopt import`)
  ResampleOptions resample;
  // Called for the problems the CSV reader reported (skipped rows, a --gpus the timestamps
  // disagree with), "file:line: reason", at most kIssuesShown per file and then a count. Optional.
  std::function<void(const std::string& message)> on_issue;
  static constexpr std::size_t kIssuesShown = 3;
};

// Reads and resamples one file. Throws ParseError naming the file (and line when known) when the
// file is empty, has no usable column, or its timestamps go back in time for a GPU.
Trace load_trace(const std::string& path, const TraceLoadOptions& options);

// Expands FILE|DIR arguments: a directory contributes every *.csv below it (recursively, sorted
// by path). Throws Error when a path does not exist or a directory holds no *.csv, UsageError
// when no path is given.
std::vector<std::string> expand_trace_paths(const std::vector<std::string>& paths);

// Loads every file, calling on_file(index, path) before each (progress). Errors propagate.
std::vector<Trace> load_traces(const std::vector<std::string>& files, const TraceLoadOptions& options,
                               const std::function<void(std::size_t, const std::string&)>& on_file = {});

}  // namespace gpuopt::forecast
