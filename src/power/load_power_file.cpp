// Recognising a power data file by its name (and header) and reading it.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

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
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "", "cannot open the file");
  std::string line;
  std::getline(in, line);
  return split_csv_line(line);
}

bool has_columns(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  return std::all_of(names.begin(), names.end(), [&](const char* name) {
    return std::find(header.begin(), header.end(), name) != header.end();
  });
}

// The GPU a DVFS table belongs to: the file-name prefix ("v100-dvfs-real.csv"), else unknown.
std::string dvfs_gpu(const std::string& stem) {
  const auto dash = stem.find('-');
  return dash == std::string::npos ? "unknown" : stem.substr(0, dash);
}

}  // namespace

std::vector<JobCurve> load_power_file(const std::string& spec) {
  std::string gpu;
  std::string path = spec;
  if (const auto eq = spec.find('=');
      eq != std::string::npos && spec.substr(0, eq).find('/') == std::string::npos) {
    gpu = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
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
  if (has_columns(header, {"dataset", "network", "batch_size", "power_limit", "time_per_epoch", "average_power"})) {
    if (gpu.empty()) {
      throw UsageError(fmt::format(
          "{}: a Zeus summary whose name is not summary_power_<gpu>.csv needs its GPU: give it as GPU={}", path,
          path));
    }
    return zeus_summary(gpu);
  }
  if (has_columns(header, {"window_name", "elapsed_time"})) return with_gpu(load_zeus_profile(path));
  if (has_columns(header, {"stage", "instruction", "frequency", "time", "energy"})) {
    return with_gpu(load_perseus_stages(path));
  }
  if (has_columns(header,
                  {"benchmark", "argNo", "core_frequency", "memory_frequency", "average_power", "time"})) {
    return load_dvfs_table(path, gpu.empty() ? dvfs_gpu(stem) : gpu);
  }
  throw UsageError(fmt::format(
      "{}: not a power or clock curve file (expected a Zeus summary_power_<gpu>.csv, a zeus-profile window "
      "file, a Perseus zeus_global.csv or stage profile, a DVFS table or a gpuPTXModel "
      "aggregated_dataset_<gpu>.csv)",
      path));
}

}  // namespace gpuopt::power
