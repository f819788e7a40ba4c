// Row selection and group-wise splits (evaluation.hpp).
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"

namespace gpuopt::memory {

bool is_scored(const Task& task, const RowSelection& selection) {
  if (!task.peak_mem_mib || *task.peak_mem_mib <= 0) return false;
  const bool status_ok =
      task.status == "ok" || (selection.include_near_capacity && task.status == "near_capacity");
  const bool quality_ok = task.quality == "clean" || (selection.include_noisy && task.quality == "noisy");
  return status_ok && quality_ok;
}

bool is_trainable(const Task& task, const RowSelection& selection) {
  return is_scored(task, selection) || task.status == "oom";
}

std::vector<std::string> split_groups(std::span<const Task> tasks, std::size_t min_families) {
  std::map<std::string, std::set<std::string>> families_of_source;
  for (const Task& t : tasks) families_of_source[t.source].insert(t.family);
  std::vector<std::string> groups;
  groups.reserve(tasks.size());
  for (const Task& t : tasks) {
    const bool by_family = families_of_source[t.source].size() >= min_families;
    groups.push_back(t.source + (by_family ? "|family:" + t.family : "|model:" + t.model));
  }
  return groups;
}

std::vector<int> group_folds(std::span<const Task> tasks, int k, std::uint64_t seed,
                             std::size_t min_families) {
  if (k < 2) throw UsageError(fmt::format("a k-fold split needs k >= 2 (got {})", k));
  const std::vector<std::string> groups = split_groups(tasks, min_families);
  // source -> group -> rows
  std::map<std::string, std::map<std::string, std::vector<std::size_t>>> by_source;
  for (std::size_t i = 0; i < tasks.size(); ++i) by_source[tasks[i].source][groups[i]].push_back(i);
  std::size_t group_count = 0;
  for (const auto& [source, source_groups] : by_source) group_count += source_groups.size();
  if (group_count < static_cast<std::size_t>(k)) {
    throw UsageError(fmt::format("{} groups cannot be split into {} folds", group_count, k));
  }
  std::vector<int> folds(tasks.size(), 0);
  std::mt19937_64 rng(seed);
  for (const auto& [source, source_groups] : by_source) {
    std::vector<const std::vector<std::size_t>*> order;
    for (const auto& [name, rows] : source_groups) order.push_back(&rows);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::size_t> fold_rows(static_cast<std::size_t>(k), 0);
    for (const auto* rows : order) {
      const auto fold =
          static_cast<std::size_t>(std::min_element(fold_rows.begin(), fold_rows.end()) - fold_rows.begin());
      fold_rows[fold] += rows->size();
      for (std::size_t row : *rows) folds[row] = static_cast<int>(fold);
    }
  }
  return folds;
}

}  // namespace gpuopt::memory
