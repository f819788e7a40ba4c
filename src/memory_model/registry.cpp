// make_predictor / load_predictor: the registry of memory predictors (predictor.hpp).
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "predictors.hpp"

extern "C" const unsigned char gpuopt_memory_default_model[];
extern "C" const unsigned long gpuopt_memory_default_model_size;

namespace gpuopt::memory {

const std::vector<std::string>& predictor_names() {
  static const std::vector<std::string> names = {"analytic",      "tree:dt",        "tree:rf",
                                                 "tree:adaboost", "tree:xgboost",   "seq:bigru-transformer",
                                                 "seq:bigru",     "seq:transformer"};
  return names;
}

std::unique_ptr<MemoryPredictor> make_predictor(std::string_view name) {
  const auto& names = predictor_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw UsageError(fmt::format("unknown memory model '{}' (valid: {})", name, fmt::join(names, ", ")));
  }
  if (name == "analytic") return make_analytic_predictor();
  if (name.starts_with("tree:")) return make_tree_predictor(name);
  return make_seq_predictor(name);
}

std::unique_ptr<MemoryPredictor> load_predictor(const ml::ModelFile& file, const std::string& source) {
  ml::require_domain(file, "memory", source);
  const auto model = file.meta.find("model");
  if (model == file.meta.end() || !model->is_string()) throw ParseError(source, 0, "model", "missing");
  const auto& names = predictor_names();
  const std::string name = model->get<std::string>();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw ParseError(source, 0, "model", fmt::format("unknown memory model '{}'", name));
  }
  auto predictor = make_predictor(name);
  predictor->load(file, source);
  return predictor;
}

std::unique_ptr<MemoryPredictor> load_predictor_file(const std::string& path) {
  return load_predictor(ml::load_model_file(path), path);
}

std::unique_ptr<MemoryPredictor> load_default_predictor() {
  const std::string_view bytes(reinterpret_cast<const char*>(gpuopt_memory_default_model),
                               gpuopt_memory_default_model_size);
  const std::string source = "<built-in memory model>";
  return load_predictor(ml::decode_model_file(bytes, source), source);
}

}  // namespace gpuopt::memory
