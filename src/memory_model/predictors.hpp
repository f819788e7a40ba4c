// The predictor implementations behind make_predictor() (registry.cpp), and the training helpers
// they share. Internal to gpuopt::memory_model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/memory/predictor.hpp"

namespace gpuopt::memory {

std::unique_ptr<MemoryPredictor> make_analytic_predictor();
// tree_name: "tree:dt", "tree:rf", "tree:adaboost", "tree:xgboost".
std::unique_ptr<MemoryPredictor> make_tree_predictor(std::string_view tree_name);
// seq_name: "seq:bigru-transformer", "seq:bigru", "seq:transformer".
std::unique_ptr<MemoryPredictor> make_seq_predictor(std::string_view seq_name);

// Indices of the rows with a measured peak (> 0) that training may use; throws UsageError when
// there are fewer than 10. Leaves out the rows of a model (source, model, input shape) measured at
// batch sizes kFlatBatchRatio or more apart whose peak grows by less than kFlatSlopeShare of its
// layer outputs per added sample (the data README puts real slopes at 0.4-1.1x): a contaminated
// measurement (the README's "noisy" rule, which the flags do not always catch) that would teach a
// model that bigger batches cost nothing.
inline constexpr double kFlatBatchRatio = 4.0;
inline constexpr double kFlatSlopeShare = 0.1;
std::vector<std::size_t> measured_rows(std::span<const Task> tasks);

// True for the rows of the validation split: about `fraction` of the groups (split_groups) of each
// source, chosen deterministically from the seed. With fewer than two groups nothing is held out.
std::vector<bool> validation_mask(std::span<const Task> tasks, double fraction, std::uint64_t seed);

// meta {"domain": "memory", "model": name}, the start of every memory model file.
ml::ModelFile new_memory_model_file(const std::string& name);
// Reads a number in [low, high] from a model file's meta; throws ParseError naming `source` and the key.
double meta_number(const ml::ModelFile& file, const std::string& key, const std::string& source, double low,
                   double high);

// The safe bound's conformal log margin: never negative (that would put the "safe" bound below the
// point estimate); e^5 is far past any calibration gpuopt has produced.
inline constexpr double kMaxBoundLogMargin = 5.0;

}  // namespace gpuopt::memory
