// Fine-tuning helpers of the sequence memory models (fine_tune.hpp) and the freeze policies
// (predictor.hpp).
#include "fine_tune.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"
#include "predictors.hpp"

namespace gpuopt::memory {
namespace {

constexpr std::size_t kMinRowsToHoldOut = 5;

}  // namespace

FreezePolicy parse_freeze_policy(std::string_view name) {
  if (name == "none") return FreezePolicy::none;
  if (name == "encoder") return FreezePolicy::encoder;
  throw UsageError(fmt::format("unknown freeze policy '{}' (valid: none, encoder)", name));
}

std::string freeze_policy_name(FreezePolicy policy) {
  return policy == FreezePolicy::encoder ? "encoder" : "none";
}

void check_fine_tune_options(const std::string& name, bool can_fine_tune, const TrainOptions& options) {
  if (!options.init) {
    if (options.freeze != FreezePolicy::none) {
      throw UsageError("freezing layers needs a pretrained model to start from (--init-from)");
    }
    return;
  }
  if (!can_fine_tune) {
    throw UsageError(
        fmt::format("{} cannot be fine-tuned; only the seq:* models start from a pretrained model", name));
  }
  const std::string init_model = options.init->meta.value("model", std::string());
  if (init_model != name) {
    throw UsageError(fmt::format(
        "{} holds model '{}', not {}: fine-tuning starts from a model of the same name",
        options.init_source.empty() ? "the pretrained model file" : options.init_source, init_model, name));
  }
}

ValidationSplit seq_validation_split(std::span<const Task> tasks, double fraction, std::uint64_t seed) {
  ValidationSplit split{validation_mask(tasks, fraction, seed), ""};
  if (std::find(split.mask.begin(), split.mask.end(), true) != split.mask.end()) {
    const std::vector<std::string> groups = split_groups(tasks);
    bool by_family = true;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (split.mask[i] && groups[i].find("|family:") == std::string::npos) by_family = false;
    }
    split.grouping = by_family ? "family" : "model";
    return split;
  }
  if (tasks.size() < kMinRowsToHoldOut) {
    split.grouping = "none";
    return split;
  }
  std::vector<std::size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  const auto held_out =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(std::clamp(fraction, 0.05, 0.5) *
                                                                    static_cast<double>(order.size()))));
  for (std::size_t i = 0; i < held_out; ++i) split.mask[order[i]] = true;
  split.grouping = "rows";
  return split;
}

std::vector<std::string> task_sources(std::span<const Task> tasks) {
  std::set<std::string> sources;
  for (const Task& t : tasks) sources.insert(t.source);
  return {sources.begin(), sources.end()};
}

nlohmann::json fine_tune_record(const TrainOptions& options, double learning_rate) {
  return {{"init", options.init_source},
          {"freeze", freeze_policy_name(options.freeze)},
          {"learning_rate", learning_rate},
          {"pretrained", options.init->meta.value("training", nlohmann::json::object())}};
}

}  // namespace gpuopt::memory
