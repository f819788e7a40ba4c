// Zeus JIT-profiler windows (zeus-profile/*.csv): one window per power limit.
#include <filesystem>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "curve_set.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"
#include "name_utils.hpp"

namespace gpuopt::power {

std::vector<JobCurve> load_zeus_profile(const std::string& path) {
  const CsvTable table(path);
  const std::size_t c_window = table.column("window_name");
  const std::size_t c_elapsed = table.column("elapsed_time");
  std::vector<std::size_t> energy_columns;
  for (std::size_t i = 0; i < table.header().size(); ++i) {
    if (table.header()[i].ends_with("_energy")) energy_columns.push_back(i);
  }
  if (energy_columns.empty()) throw ParseError(path, 1, "gpu0_energy", "missing column");
  // "<GPU>+<model>+gpu0,1.csv"
  const auto parts = split_name(std::filesystem::path(path).stem().string(), '+');
  if (parts.size() < 3) throw ParseError(path, 0, "", "expected a file name like A40+resnet50+gpu0.csv");
  JobCurve prototype;
  prototype.source = path;
  prototype.gpu = gpu_family(parts[0]);
  prototype.workload = parts[1];
  prototype.unit = "window";
  CurveSet curves;
  for (const auto& row : table.rows()) {
    const std::string& window = table.field(row, c_window);
    const auto underscore = window.rfind('_');
    if (underscore == std::string::npos) {
      throw ParseError(path, row.line, "window_name", fmt::format("'{}' does not end with _<watts>", window));
    }
    const double limit_w = parse_positive(window.substr(underscore + 1), path, row.line, "window_name");
    const double elapsed_s = table.positive(row, c_elapsed);
    double energy_j = 0;
    for (const std::size_t c : energy_columns) energy_j += table.positive(row, c);
    const double gpus = static_cast<double>(energy_columns.size());
    curves.add(prototype.key(), prototype, {limit_w, elapsed_s, energy_j / gpus / elapsed_s}, row.line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

}  // namespace gpuopt::power
