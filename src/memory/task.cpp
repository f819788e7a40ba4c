#include "gpuopt/memory/task.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::memory {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 18> kFields = {
    "id",        "source",    "model",      "family",       "framework",  "mode",
    "precision", "optimizer", "gpu",        "gpu_mem_mib",  "batch_size", "input_shape",
    "params",    "layers",    "layers_ext", "peak_mem_mib", "status",     "quality"};
// Bounds far past real tasks (ids reach 174 characters, kinds 23, models 2251 layers) that keep a
// hostile file or request body from costing seconds of CPU and gigabytes per task.
constexpr std::size_t kMaxTextChars = 1024;
constexpr std::size_t kMaxKindChars = 128;
constexpr std::size_t kMaxLayers = 100000;
constexpr double kMaxCardMib = 1024.0 * 1024 * 1024;  // 1 PiB, when the task names no card
constexpr std::array<std::string_view, 4> kStatuses = {"ok", "oom", "near_capacity", "invalid"};
constexpr std::array<std::string_view, 2> kQualities = {"clean", "noisy"};
constexpr std::array<std::string_view, 2> kModes = {"train", "inference"};
constexpr std::array<std::string_view, 6> kPrecisions = {"fp32", "tf32", "fp16", "bf16", "amp", "fp64"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

// Checks one task object and throws ParseError(file, line, field, reason) at the first problem.
class TaskReader {
 public:
  TaskReader(const json& object, const std::string& file, std::size_t line)
      : object_(object), file_(file), line_(line) {}

  Task read() const;

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw ParseError(file_, line_, field, reason);
  }
  const json* find(std::string_view name) const;  // nullptr when absent or null
  std::string string_or(std::string_view name, std::string fallback) const;
  std::optional<std::string> optional_string(std::string_view name) const;
  template <std::size_t N>
  std::string one_of(std::string_view name, const std::array<std::string_view, N>& allowed) const;
  std::int64_t integer(const json& value, const std::string& field, std::int64_t min) const;
  std::vector<std::int64_t> shape(std::string_view name) const;
  std::vector<Layer> layers(std::string_view name) const;
  Layer layer(const json& entry, const std::string& field) const;

  const json& object_;
  const std::string& file_;
  std::size_t line_;
};

const json* TaskReader::find(std::string_view name) const {
  const auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string TaskReader::string_or(std::string_view name, std::string fallback) const {
  const json* value = find(name);
  if (!value) return fallback;
  if (!value->is_string())
    fail(std::string(name), fmt::format("expected a string, got {}", value->type_name()));
  if (value->get_ref<const std::string&>().size() > kMaxTextChars)
    fail(std::string(name), fmt::format("longer than {} characters", kMaxTextChars));
  return value->get<std::string>();
}

std::optional<std::string> TaskReader::optional_string(std::string_view name) const {
  if (!find(name)) return std::nullopt;
  return string_or(name, {});
}

template <std::size_t N>
std::string TaskReader::one_of(std::string_view name, const std::array<std::string_view, N>& allowed) const {
  std::string value = string_or(name, {});
  if (!value.empty() && std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    fail(std::string(name), fmt::format("'{}' is not one of {}", value, joined(allowed)));
  return value;
}

std::int64_t TaskReader::integer(const json& value, const std::string& field, std::int64_t min) const {
  if (!value.is_number_integer()) fail(field, fmt::format("expected an integer, got {}", value.type_name()));
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
    fail(field, "integer too large");
  const auto number = value.get<std::int64_t>();
  if (number < min) fail(field, fmt::format("must be >= {}, got {}", min, number));
  return number;
}

std::vector<std::int64_t> TaskReader::shape(std::string_view name) const {
  const json* value = find(name);
  if (!value) return {};
  const std::string field(name);
  if (!value->is_array()) fail(field, fmt::format("expected an array of sizes, got {}", value->type_name()));
  if (value->empty()) fail(field, "is empty (leave the field out when the shape is unknown)");
  std::vector<std::int64_t> sizes;
  for (std::size_t i = 0; i < value->size(); ++i)
    sizes.push_back(integer((*value)[i], fmt::format("{}[{}]", field, i), 1));
  return sizes;
}

Layer TaskReader::layer(const json& entry, const std::string& field) const {
  if (!entry.is_array() || entry.size() < 3 || entry.size() > 4)
    fail(field, "expected [kind, output_elements_per_sample, own_params] or the same with a leaf flag");
  if (!entry[0].is_string() || entry[0].get_ref<const std::string&>().empty())
    fail(field + "[0]", "expected a non-empty layer kind");
  if (entry[0].get_ref<const std::string&>().size() > kMaxKindChars)
    fail(field + "[0]", fmt::format("layer kind longer than {} characters", kMaxKindChars));
  Layer layer;
  layer.kind = entry[0].get<std::string>();
  layer.output_elements = integer(entry[1], field + "[1]", 0);
  layer.params = integer(entry[2], field + "[2]", 0);
  if (entry.size() == 4) {
    const json& leaf = entry[3];
    if (leaf.is_boolean()) {
      layer.leaf = leaf.get<bool>();
    } else {
      const std::int64_t flag = integer(leaf, field + "[3]", 0);
      if (flag > 1) fail(field + "[3]", "leaf flag must be 0 or 1");
      layer.leaf = flag == 1;
    }
  }
  return layer;
}

std::vector<Layer> TaskReader::layers(std::string_view name) const {
  const json* value = find(name);
  const std::string field(name);
  if (!value) return {};
  if (!value->is_array()) fail(field, fmt::format("expected an array of layers, got {}", value->type_name()));
  if (value->size() > kMaxLayers)
    fail(field, fmt::format("{} layers; at most {} are read (the largest timm model has 2251)", value->size(),
                            kMaxLayers));
  std::vector<Layer> out;
  out.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i)
    out.push_back(layer((*value)[i], fmt::format("{}[{}]", field, i)));
  return out;
}

Task TaskReader::read() const {
  if (!object_.is_object()) fail("", fmt::format("expected a task object, got {}", object_.type_name()));
  for (const auto& [key, value] : object_.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end())
      fail(key, fmt::format("unknown field (schema v1 fields: {})", joined(kFields)));
  }
  for (const char* name : {"id", "batch_size", "params", "layers"}) {
    if (!find(name)) fail(name, "is required");
  }
  Task task;
  task.id = string_or("id", {});
  if (task.id.empty()) fail("id", "must not be empty");
  task.source = string_or("source", {});
  task.model = string_or("model", {});
  task.family = find("family") ? string_or("family", {}) : family_of(task.model);
  task.framework = optional_string("framework");
  task.gpu = optional_string("gpu");
  task.optimizer = optional_string("optimizer");
  if (find("mode")) task.mode = one_of("mode", kModes);
  if (find("precision")) task.precision = one_of("precision", kPrecisions);
  if (const json* mem = find("gpu_mem_mib")) task.gpu_mem_mib = integer(*mem, "gpu_mem_mib", 1);
  task.batch_size = integer(*find("batch_size"), "batch_size", 1);
  if (task.batch_size > kMaxBatchSize)
    fail("batch_size", fmt::format("must be <= 2^40, got {}", task.batch_size));
  task.input_shape = shape("input_shape");
  task.params = integer(*find("params"), "params", 0);
  task.layers = layers("layers");
  task.layers_ext = layers("layers_ext");
  if (const json* peak = find("peak_mem_mib")) {
    if (!peak->is_number()) fail("peak_mem_mib", fmt::format("expected a number, got {}", peak->type_name()));
    task.peak_mem_mib = peak->get<double>();
    if (*task.peak_mem_mib < 0) fail("peak_mem_mib", fmt::format("must be >= 0, got {}", *task.peak_mem_mib));
    // A run cannot hold more than its card: a larger figure is another unit or garbage.
    const double card_mib = task.gpu_mem_mib ? static_cast<double>(*task.gpu_mem_mib) : kMaxCardMib;
    if (*task.peak_mem_mib > card_mib)
      fail("peak_mem_mib",
           fmt::format("{:g} MiB is more than the GPU's memory ({:g} MiB)", *task.peak_mem_mib, card_mib));
  }
  task.status = one_of("status", kStatuses);
  task.quality = one_of("quality", kQualities);
  if ((task.status == "ok" || task.status == "near_capacity") && !task.peak_mem_mib)
    fail("peak_mem_mib", fmt::format("is required when status is '{}'", task.status));
  // The CNN set records runs of models without parameters (and so without layers); a task to
  // predict needs its layers.
  if (task.layers.empty() && (task.params > 0 || task.status.empty()))
    fail("layers",
         "must not be empty (only a measured record of a model without parameters may have no layers)");
  return task;
}

json layers_to_json(const std::vector<Layer>& layers, bool with_leaf_flag) {
  json out = json::array();
  for (const auto& layer : layers) {
    json entry = json::array({layer.kind, layer.output_elements, layer.params});
    if (with_leaf_flag || !layer.leaf) entry.push_back(layer.leaf ? 1 : 0);
    out.push_back(std::move(entry));
  }
  return out;
}

json optional_to_json(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

std::string family_of(const std::string& model) {
  std::string family;
  for (const char c : model) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    family.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return family;
}

Task task_from_json(const json& j, const std::string& file, std::size_t line) {
  return TaskReader(j, file, line).read();
}

json task_to_json(const Task& task) {
  json j = {{"id", task.id},
            {"source", task.source},
            {"model", task.model},
            {"family", task.family},
            {"framework", optional_to_json(task.framework)},
            {"mode", optional_to_json(task.mode)},
            {"precision", optional_to_json(task.precision)},
            {"optimizer", optional_to_json(task.optimizer)},
            {"gpu", optional_to_json(task.gpu)},
            {"gpu_mem_mib", task.gpu_mem_mib ? json(*task.gpu_mem_mib) : json(nullptr)},
            {"batch_size", task.batch_size},
            {"params", task.params},
            {"layers", layers_to_json(task.layers, false)}};
  if (!task.input_shape.empty()) j["input_shape"] = task.input_shape;
  if (!task.layers_ext.empty()) j["layers_ext"] = layers_to_json(task.layers_ext, true);
  if (task.peak_mem_mib || !task.status.empty())
    j["peak_mem_mib"] = task.peak_mem_mib ? json(*task.peak_mem_mib) : json(nullptr);
  if (!task.status.empty()) j["status"] = task.status;
  if (!task.quality.empty()) j["quality"] = task.quality;
  return j;
}

}  // namespace gpuopt::memory
