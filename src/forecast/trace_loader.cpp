#include "gpuopt/forecast/trace_loader.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/nvidia_smi_csv.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::forecast {

Trace load_trace(const std::string& path, const TraceLoadOptions& options) {
  std::vector<std::vector<Sample>> by_gpu;
  CsvReadOptions csv;
  csv.gpus = options.gpus;
  const CsvReadResult result = read_nvidia_smi_csv(path, csv, [&](std::span<const Sample> batch) {
    for (const Sample& s : batch) {
      if (by_gpu.size() <= static_cast<std::size_t>(s.gpu)) by_gpu.resize(s.gpu + 1);
      by_gpu[s.gpu].push_back(s);
    }
  });
  if (result.rows_read == 0) {
    throw ParseError(
        path, 0, "",
        fmt::format("no data rows ({} skipped{})", result.rows_skipped,
                    result.issues.empty() ? "" : "; the first: " + result.issues.front().to_string()));
  }
  // The forecaster reads each GPU in time order: a file whose time goes back is refused here,
  // where the line is known.
  if (const CsvIssue& back = result.first_time_reversal; back.line != 0)
    throw ParseError(path, back.line, "timestamp",
                     back.message + ": the forecaster needs each GPU's rows in time order");
  if (options.on_issue) {
    const std::size_t shown = std::min(result.issues.size(), TraceLoadOptions::kIssuesShown);
    for (std::size_t i = 0; i < shown; ++i) options.on_issue(result.issues[i].to_string());
    if (result.issue_count > shown) {
      options.on_issue(fmt::format("{}: {} more issues ({} rows skipped in all)", path,
                                   result.issue_count - shown, result.rows_skipped));
    }
  }
  Trace trace{path, {}};
  bool any_channel = false;
  bool any_segment = false;
  for (std::size_t gpu = 0; gpu < result.devices.size() && gpu < by_gpu.size(); ++gpu) {
    GpuSeries series{result.devices[gpu], resample(by_gpu[gpu], options.resample, path)};
    for (const Segment& s : series.segments) {
      any_segment = true;
      for (const ChannelInfo& info : all_channels()) any_channel = any_channel || s.has(info.channel);
    }
    trace.gpus.push_back(std::move(series));
  }
  if (!any_segment) {
    throw ParseError(path, 0, "",
                     fmt::format("no GPU of the {} has two samples within {} of each other{}",
                                 result.devices.size(), format_duration(options.resample.max_gap),
                                 result.interleaved_gpus > 1 ? " (is --gpus right?)" : ""));
  }
  if (!any_channel) {
    throw ParseError(path, 1, "", fmt::format("no column the forecaster uses ({})", channel_names_list()));
  }
  return trace;
}

std::vector<std::string> expand_trace_paths(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(p)) {
        if (entry.is_regular_file() && entry.path().extension() == ".csv")
          found.push_back(entry.path().string());
      }
      if (found.empty()) throw Error(fmt::format("{}: no *.csv trace in this directory", p));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      throw Error(fmt::format("{}: no such file or directory", p));  // exit 1, as `gpuopt import`
    }
  }
  if (files.empty()) throw UsageError("no trace given");
  return files;
}

std::vector<Trace> load_traces(const std::vector<std::string>& files, const TraceLoadOptions& options,
                               const std::function<void(std::size_t, const std::string&)>& on_file) {
  std::vector<Trace> traces;
  traces.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (on_file) on_file(i, files[i]);
    traces.push_back(load_trace(files[i], options));
  }
  return traces;
}

}  // namespace gpuopt::forecast
