// Zeus (NSDI'23) power-limit sweeps and epochs-to-target.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "csv_table.hpp"
#include "curve_set.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"

namespace gpuopt::power {
namespace {

struct Dataset {
  const char* name;
  long samples;   // training samples per epoch
  double target;  // the target metric of the Zeus paper
};

// docs/power.md explains each number.
constexpr Dataset kDatasets[] = {
    {"cifar100", 50000, 0.6},        {"imagenet", 1281167, 0.65},     {"librispeech", 281241, 40.0},
    {"movielens-1m", 4970845, 0.41}, {"sentiment140", 1600000, 0.84}, {"squad", 87599, 84.0},
};

const Dataset* find_dataset(const std::string& name) {
  for (const Dataset& d : kDatasets) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

std::string known_datasets() {
  std::string out;
  for (const Dataset& d : kDatasets) out += (out.empty() ? "" : ", ") + std::string(d.name);
  return out;
}

}  // namespace

std::optional<long> dataset_samples(const std::string& dataset) {
  const Dataset* d = find_dataset(dataset);
  if (d == nullptr) return std::nullopt;
  return d->samples;
}

std::vector<JobCurve> load_zeus_summary(const std::string& path, const std::string& gpu) {
  const CsvTable table(path);
  const std::size_t c_dataset = table.column("dataset");
  const std::size_t c_network = table.column("network");
  const std::size_t c_batch = table.column("batch_size");
  const std::size_t c_optimizer = table.column("optimizer");
  const std::size_t c_limit = table.column("power_limit");
  const std::size_t c_time = table.column("time_per_epoch");
  const std::size_t c_power = table.column("average_power");
  CurveSet curves;
  for (const auto& row : table.rows()) {
    JobCurve prototype;
    prototype.source = path;
    prototype.gpu = gpu;
    const std::string& dataset = table.field(row, c_dataset);
    const Dataset* known = find_dataset(dataset);
    if (known == nullptr) {
      throw ParseError(path, row.line, "dataset",
                       fmt::format("unknown dataset '{}' (iterations per epoch unknown; known: {})", dataset,
                                   known_datasets()));
    }
    prototype.workload = dataset + "/" + table.field(row, c_network);
    prototype.optimizer = table.field(row, c_optimizer);
    prototype.batch_size = table.batch_size(row, c_batch);
    prototype.unit = "epoch";
    prototype.iterations_per_unit = (known->samples + prototype.batch_size - 1) / prototype.batch_size;
    const OperatingPoint point{table.positive(row, c_limit), table.positive(row, c_time),
                               table.positive(row, c_power)};
    curves.add(prototype.key(), prototype, point, row.line);
  }
  auto out = curves.finish();
  if (out.empty()) throw ParseError(path, 0, "", "no data rows");
  return out;
}

void attach_zeus_epochs(const std::string& summary_train_path, std::vector<JobCurve>& curves) {
  const CsvTable table(summary_train_path);
  const std::size_t c_dataset = table.column("dataset");
  const std::size_t c_network = table.column("network");
  const std::size_t c_batch = table.column("batch_size");
  const std::size_t c_optimizer = table.column("optimizer");
  const std::size_t c_target = table.column("target_metric");
  const std::size_t c_epoch = table.column("target_epoch");
  std::map<std::string, std::vector<double>> epochs;  // by workload/bs/optimizer
  for (const auto& row : table.rows()) {
    const Dataset* known = find_dataset(table.field(row, c_dataset));
    if (known == nullptr) continue;
    if (std::abs(table.number(row, c_target) - known->target) > 1e-9) continue;
    const std::string& epoch = table.field(row, c_epoch);
    if (epoch == "nan") continue;  // this run never reached the target
    const std::string key =
        fmt::format("{}/{}/bs{}/{}", table.field(row, c_dataset), table.field(row, c_network),
                    table.batch_size(row, c_batch), table.field(row, c_optimizer));
    epochs[key].push_back(table.positive(row, c_epoch));
  }
  for (JobCurve& curve : curves) {
    const auto it = epochs.find(fmt::format("{}/bs{}/{}", curve.workload, curve.batch_size, curve.optimizer));
    if (it == epochs.end()) continue;
    auto values = it->second;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    curve.units_per_job = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  }
}

}  // namespace gpuopt::power
