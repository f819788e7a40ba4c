// A deep-learning training task whose peak GPU memory gpuopt predicts: the task JSON schema v1 of
// ../shared/data/memory/README.md. Importers (ONNX, torchsummary, the PyTorch helper) produce it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuopt::memory {

// Largest batch size a task may name (files, HTTP, --batch-size): far past any real job, and small
// enough that memory sums over it cannot overflow.
inline constexpr std::int64_t kMaxBatchSize = std::int64_t{1} << 40;

// One module call, in execution order. kind is the raw name from the source (PyTorch class name,
// GPUMemNet lower-case name or ONNX op type); canonical_kind() maps it to the shared vocabulary.
struct Layer {
  std::string kind;
  std::int64_t output_elements = 0;  // per sample, >= 0
  std::int64_t params = 0;           // parameters the module owns, >= 0
  // false for a module that has children (layers_ext's optional 4th element, 0); its output
  // overlaps its children's.
  bool leaf = true;
};

struct Task {
  std::string id;      // required, non-empty
  std::string source;  // e.g. "gpumemnet-timm", "onnx", "torchsummary"; may be empty
  std::string model;
  std::string family;  // model family for grouped splits; derived from model when absent
  std::optional<std::string> framework, mode, precision, optimizer, gpu;  // null = not recorded
  std::optional<std::int64_t> gpu_mem_mib;
  std::int64_t batch_size = 0;            // 1..kMaxBatchSize
  std::vector<std::int64_t> input_shape;  // per sample; empty = unknown (torchsummary)
  std::int64_t params = 0;                // >= 0
  std::vector<Layer> layers;              // non-empty, except in a measured record with params == 0
  std::vector<Layer> layers_ext;          // optional (timm set only)
  // Measurement (absent on a task to predict).
  std::optional<double> peak_mem_mib;
  std::string status;   // "ok", "oom", "near_capacity", "invalid"; empty = not measured
  std::string quality;  // "clean", "noisy"; empty = not measured
};

// Family of a model name: its leading letters, lower-cased ("resnet50d" -> "resnet").
std::string family_of(const std::string& model);

// Parses one task object. Unknown fields, wrong types, negative sizes, an empty layer list (allowed
// only in a measured record of a model without parameters, as the CNN set has), a bad
// status/quality/mode/precision or an "ok" record without peak_mem_mib throw
// ParseError(file, line, field, reason). task_to_json leaves out input_shape when unknown and the
// measurement fields when not measured.
Task task_from_json(const nlohmann::json& j, const std::string& file, std::size_t line);
nlohmann::json task_to_json(const Task& task);

// Reads a JSONL file (one task per line; blank lines are an error naming the line) or a file
// holding one JSON object or a JSON array of tasks. Throws Error when the file cannot be read.
std::vector<Task> read_tasks(const std::string& path);
// Writes the tasks as JSONL, atomically (file_write.hpp): a failed write leaves `path` as it was.
void write_tasks_jsonl(const std::string& path, const std::vector<Task>& tasks);

}  // namespace gpuopt::memory
