// Helpers shared by the predictors' fit/save/load (predictors.hpp).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"
#include "predictors.hpp"
#include "seq_tokens.hpp"

namespace gpuopt::memory {

namespace {

bool has_peak(const Task& t) { return t.peak_mem_mib && *t.peak_mem_mib > 0; }

// The models (source, model, input shape) whose measured peak does not grow with the batch size.
std::set<std::string> flat_memory_models(std::span<const Task> tasks) {
  struct Extremes {
    const Task* smallest = nullptr;  // the rows of the smallest and largest batch
    const Task* largest = nullptr;
  };
  std::map<std::string, Extremes> models;
  for (const Task& t : tasks) {
    if (!has_peak(t)) continue;
    Extremes& e = models[sequence_key(t)];
    if (!e.smallest || t.batch_size < e.smallest->batch_size) e.smallest = &t;
    if (!e.largest || t.batch_size > e.largest->batch_size) e.largest = &t;
  }
  std::set<std::string> flat;
  for (const auto& [key, e] : models) {
    const auto small = static_cast<double>(e.smallest->batch_size);
    const auto large = static_cast<double>(e.largest->batch_size);
    if (large < kFlatBatchRatio * small) continue;
    const double slope_mib = (*e.largest->peak_mem_mib - *e.smallest->peak_mem_mib) / (large - small);
    if (slope_mib < kFlatSlopeShare * output_mib_per_sample(*e.smallest)) flat.insert(key);
  }
  return flat;
}

}  // namespace

std::vector<std::size_t> measured_rows(std::span<const Task> tasks) {
  const std::set<std::string> flat = flat_memory_models(tasks);
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (has_peak(tasks[i]) && !flat.contains(sequence_key(tasks[i]))) rows.push_back(i);
  }
  if (rows.size() < 10) {
    throw UsageError(
        fmt::format("training needs at least 10 rows with a measured peak (got {}{})", rows.size(),
                    flat.empty() ? ""
                                 : fmt::format("; left out the rows of {} models whose peak does not grow "
                                               "with the batch size",
                                               flat.size())));
  }
  return rows;
}

std::vector<bool> validation_mask(std::span<const Task> tasks, double fraction, std::uint64_t seed) {
  std::vector<bool> mask(tasks.size(), false);
  const std::vector<std::string> groups = split_groups(tasks);
  const std::set<std::string> distinct(groups.begin(), groups.end());
  const int k = std::max(2, static_cast<int>(std::lround(1.0 / std::clamp(fraction, 0.05, 0.5))));
  if (distinct.size() < static_cast<std::size_t>(k)) return mask;
  const std::vector<int> folds = group_folds(tasks, k, seed);
  for (std::size_t i = 0; i < tasks.size(); ++i) mask[i] = folds[i] == 0;
  return mask;
}

ml::ModelFile new_memory_model_file(const std::string& name) {
  ml::ModelFile file;
  file.meta["domain"] = "memory";
  file.meta["model"] = name;
  return file;
}

double meta_number(const ml::ModelFile& file, const std::string& key, const std::string& source, double low,
                   double high) {
  const auto it = file.meta.find(key);
  if (it == file.meta.end() || !it->is_number()) throw ParseError(source, 0, key, "missing or not a number");
  const double value = it->get<double>();
  if (!(value >= low && value <= high))
    throw ParseError(source, 0, key, fmt::format("{:g} is outside {:g}..{:g}", value, low, high));
  return value;
}

}  // namespace gpuopt::memory
