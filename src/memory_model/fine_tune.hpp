// Fine-tuning helpers of the sequence memory models (TrainOptions::init / freeze): option checks,
// the validation split used when the training rows come from very few families, and what the model
// file's meta records about the pretrained starting point. Internal to gpuopt::memory_model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuopt/memory/predictor.hpp"

namespace gpuopt::memory {

// Throws UsageError when `options` asks for fine-tuning (init) or freezing that the model `name`
// cannot do: models that cannot fine-tune reject init; freezing needs init; init must be a
// `name` model file.
void check_fine_tune_options(const std::string& name, bool can_fine_tune, const TrainOptions& options);

// Rows held out for early stopping and the bound's calibration, and how they were chosen:
//   "family" / "model"  validation_mask's grouped split (by model when a source has few families);
//   "rows"              fewer groups than that split needs (e.g. one or two families): about
//                       `fraction` of the rows, in a seeded order;
//   "none"              fewer than 5 rows: nothing held out (training rows are used instead).
struct ValidationSplit {
  std::vector<bool> mask;  // true = validation row
  std::string grouping;
};
ValidationSplit seq_validation_split(std::span<const Task> tasks, double fraction, std::uint64_t seed);

// The distinct sources of the rows (e.g. ["gpumemnet-cnn", "gpumemnet-mlp"]): what a model was
// trained on, recorded in its meta.
std::vector<std::string> task_sources(std::span<const Task> tasks);

// meta "training"."fine_tune" of a fine-tuned model: {"init": options.init_source, "freeze",
// "learning_rate", "pretrained": the init model's own "training" summary (sources, rows, epochs)}.
nlohmann::json fine_tune_record(const TrainOptions& options, double learning_rate);

}  // namespace gpuopt::memory
