// SM-clock sweeps of CUDA kernels: NV-DVFS-Benchmark tables and gpuPTXModel blocks.
#include <sstream>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "curve_set.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"
#include "name_utils.hpp"

namespace gpuopt::power {

std::vector<JobCurve> load_dvfs_table(const std::string& path, const std::string& gpu) {
  const CsvTable table(path);
  const std::size_t c_benchmark = table.column("benchmark");
  const std::size_t c_arg = table.column("argNo");
  const std::size_t c_core = table.column("core_frequency");
  const std::size_t c_memory = table.column("memory_frequency");
  const std::size_t c_power = table.column("average_power");
  const std::size_t c_time = table.column("time");
  CurveSet curves;
  for (const auto& row : table.rows()) {
    JobCurve prototype;
    prototype.source = path;
    prototype.gpu = gpu_family(gpu);
    prototype.workload = fmt::format("{}/{}/mem{}", table.field(row, c_benchmark), table.field(row, c_arg),
                                     table.field(row, c_memory));
    prototype.knob = Knob::sm_clock_mhz;
    prototype.unit = "run";
    curves.add(prototype.key(), prototype,
               {table.positive(row, c_core), table.positive(row, c_time), table.positive(row, c_power)}, row.line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

std::vector<JobCurve> load_ptx_blocks(const std::string& path, const std::string& gpu) {
  std::istringstream in(read_power_file(path));
  static const char* const kFields[] = {"mem_freq", "core_freq", "time_ms", "avg_power_w", "energy_mj"};
  CurveSet curves;
  std::string benchmark;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    const auto fields = split_csv_line(text);
    if (fields.size() == 1) {
      if (!fields[0].empty()) benchmark = fields[0];
      continue;
    }
    if (benchmark.empty()) throw ParseError(path, line, "", "data row before the first benchmark name");
    if (fields.size() != 5) {
      throw ParseError(path, line, "",
                       fmt::format("expected 5 fields ({}), got {}", fmt::join(kFields, ","), fields.size()));
    }
    double values[5];
    for (std::size_t i = 0; i < 5; ++i) values[i] = parse_positive(fields[i], path, line, kFields[i]);
    JobCurve prototype;
    prototype.source = path;
    prototype.gpu = gpu_family(gpu);
    prototype.workload = fmt::format("{}/mem{}", benchmark, fields[0]);
    prototype.knob = Knob::sm_clock_mhz;
    prototype.unit = "run";
    curves.add(prototype.key(), prototype, {values[1], values[2] / 1000.0, values[3]}, line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

}  // namespace gpuopt::power
