// Recognising a power data file by its name (and header) and reading it.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"
#include "name_utils.hpp"

namespace gpuopt::power {
namespace fs = std::filesystem;

std::vector<std::string> split_name(std::string_view text, char separator) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == separator) {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

std::string gpu_family(std::string_view name) {
  std::string out(name.substr(0, name.find('_')));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

namespace {

std::vector<std::string> header_of(const std::string& path) {
  std::istringstream in(read_power_file(path));
  std::string line;
  std::getline(in, line);
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte-order mark
  if (line.ends_with('\r')) line.pop_back();
  return split_csv_line(line);
}

// The columns that tell each headed format apart.
struct HeadedFormat {
  const char* name;
  std::initializer_list<const char*> columns;
};
constexpr HeadedFormat kZeusSummary{
    "Zeus summary", {"dataset", "network", "batch_size", "power_limit", "time_per_epoch", "average_power"}};
constexpr HeadedFormat kZeusProfile{"zeus-profile window file", {"window_name", "elapsed_time"}};
constexpr HeadedFormat kPerseusStages{"Perseus stage profile",
                                      {"stage", "instruction", "frequency", "time", "energy"}};
constexpr HeadedFormat kDvfsTable{
    "DVFS table", {"benchmark", "argNo", "core_frequency", "memory_frequency", "average_power", "time"}};

bool has_columns(const std::vector<std::string>& header, const HeadedFormat& format) {
  return std::all_of(format.columns.begin(), format.columns.end(), [&](const char* name) {
    return std::find(header.begin(), header.end(), name) != header.end();
  });
}

// For a header no format matches: the format it shares most columns with (at least two), and
// which of that format's columns it lacks; "" when none is close.
std::string closest_format(const std::vector<std::string>& header) {
  const HeadedFormat* best = nullptr;
  std::size_t best_shared = 1;
  for (const HeadedFormat* f : {&kZeusSummary, &kZeusProfile, &kPerseusStages, &kDvfsTable}) {
    const auto shared =
        static_cast<std::size_t>(std::count_if(f->columns.begin(), f->columns.end(), [&](const char* c) {
          return std::find(header.begin(), header.end(), c) != header.end();
        }));
    if (shared > best_shared) {
      best = f;
      best_shared = shared;
    }
  }
  if (!best) return "";
  std::vector<std::string> missing;
  for (const char* c : best->columns) {
    if (std::find(header.begin(), header.end(), c) == header.end()) missing.emplace_back(c);
  }
  return fmt::format("; its header looks like a {} but lacks column{} {}", best->name,
                     missing.size() == 1 ? "" : "s", fmt::join(missing, ", "));
}

// The GPU a DVFS table belongs to: the file-name prefix ("v100-dvfs-real.csv"), else unknown.
std::string dvfs_gpu(const std::string& stem) {
  const auto dash = stem.find('-');
  return dash == std::string::npos ? "unknown" : stem.substr(0, dash);
}

}  // namespace

PowerFileSpec parse_power_file_spec(const std::string& spec) {
  if (const auto eq = spec.find('=');
      eq != std::string::npos && spec.substr(0, eq).find('/') == std::string::npos) {
    return {spec.substr(0, eq), spec.substr(eq + 1)};
  }
  return {"", spec};
}

std::vector<JobCurve> load_power_file(const std::string& spec) {
  const auto [gpu, path] = parse_power_file_spec(spec);
  if (!fs::exists(path)) throw UsageError(fmt::format("{}: no such file", path));
  const fs::path file(path);
  const std::string name = file.filename().string();
  const std::string stem = file.stem().string();
  const auto with_gpu = [&](std::vector<JobCurve> curves) {
    if (!gpu.empty()) {
      for (JobCurve& c : curves) c.gpu = gpu_family(gpu);
    }
    return curves;
  };
  const auto zeus_summary = [&](const std::string& gpu_name) {
    auto curves = load_zeus_summary(path, gpu_family(gpu_name));
    const fs::path train = file.parent_path() / "summary_train.csv";
    if (fs::exists(train)) attach_zeus_epochs(train.string(), curves);
    return curves;
  };
  if (name.starts_with("summary_power_")) return zeus_summary(gpu.empty() ? stem.substr(14) : gpu);
  if (name == "zeus_global.csv") {
    return load_perseus_global(path, gpu.empty() ? file.parent_path().filename().string() : gpu);
  }
  if (name.starts_with("aggregated_dataset_")) {
    return load_ptx_blocks(path, gpu.empty() ? stem.substr(19) : gpu);
  }
  const auto header = header_of(path);
  // A Zeus summary under another name: its columns say what it is, but only GPU=FILE says which GPU.
  if (has_columns(header, kZeusSummary)) {
    if (gpu.empty()) {
      throw UsageError(fmt::format(
          "{}: a Zeus summary whose name is not summary_power_<gpu>.csv needs its GPU: give it as GPU={}",
          path, path));
    }
    return zeus_summary(gpu);
  }
  if (has_columns(header, kZeusProfile)) return with_gpu(load_zeus_profile(path));
  if (has_columns(header, kPerseusStages)) {
    return with_gpu(load_perseus_stages(path));
  }
  if (has_columns(header, kDvfsTable)) {
    return load_dvfs_table(path, gpu.empty() ? dvfs_gpu(stem) : gpu);
  }
  throw UsageError(fmt::format(
      "{}: not a power or clock curve file (expected a Zeus summary_power_<gpu>.csv, a zeus-profile window "
      "file, a Perseus zeus_global.csv or stage profile, a DVFS table or a gpuPTXModel "
      "aggregated_dataset_<gpu>.csv){}",
      path, closest_format(header)));
}

}  // namespace gpuopt::power
