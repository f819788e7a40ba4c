// Perseus (SOSP'24) power-limit sweeps of pipeline-parallel training and per-stage clock profiles.
#include <filesystem>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "curve_set.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"
#include "name_utils.hpp"

namespace gpuopt::power {

std::vector<JobCurve> load_perseus_global(const std::string& path, const std::string& gpu) {
  const CsvTable table(path);
  const std::size_t c_model = table.column("model_name");
  const std::size_t c_partition = table.column("partition_method");
  const std::size_t c_batch = table.column("batch_size");
  const std::size_t c_limit = table.column("power_limit_0");
  const std::size_t c_time = table.column("time");
  const std::size_t c_energy = table.column("energy");
  const std::size_t c_dp = table.column("dp");
  const std::size_t c_tp = table.column("tp");
  const std::size_t c_pp = table.column("pp");
  CurveSet curves;
  for (const auto& row : table.rows()) {
    JobCurve prototype;
    prototype.source = path;
    prototype.gpu = gpu_family(gpu);
    prototype.workload = table.field(row, c_model) + "/" + table.field(row, c_partition);
    prototype.batch_size = table.batch_size(row, c_batch);
    prototype.unit = "iteration";
    const double gpus = table.positive(row, c_dp) * table.positive(row, c_tp) * table.positive(row, c_pp);
    const double time_s = table.positive(row, c_time);
    const double power_w = table.positive(row, c_energy) / time_s / gpus;
    curves.add(prototype.key(), prototype, {table.positive(row, c_limit), time_s, power_w}, row.line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

std::vector<JobCurve> load_perseus_stages(const std::string& path) {
  const CsvTable table(path);
  const std::size_t c_stage = table.column("stage");
  const std::size_t c_instruction = table.column("instruction");
  const std::size_t c_frequency = table.column("frequency");
  const std::size_t c_time = table.column("time");
  const std::size_t c_energy = table.column("energy");
  // "<model>+<gpu>_<dtype>.csv"
  const auto parts = split_name(std::filesystem::path(path).stem().string(), '+');
  if (parts.size() != 2) throw ParseError(path, 0, "", "expected a file name like gpt3-175b+a40_bf16.csv");
  CurveSet curves;
  for (const auto& row : table.rows()) {
    JobCurve prototype;
    prototype.source = path;
    prototype.gpu = gpu_family(parts[1]);
    prototype.workload =
        fmt::format("{}/stage{}/{}", parts[0], table.field(row, c_stage), table.field(row, c_instruction));
    prototype.knob = Knob::sm_clock_mhz;
    prototype.unit = "iteration";
    const double time_s = table.positive(row, c_time);
    curves.add(prototype.key(), prototype,
               {table.positive(row, c_frequency), time_s, table.positive(row, c_energy) / time_s}, row.line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

}  // namespace gpuopt::power
