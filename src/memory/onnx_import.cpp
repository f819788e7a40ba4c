// The only file that uses libonnx: ONNX model -> Task.
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/defs/tensor_proto_util.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <queue>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"
#include "gpuopt/memory/importers.hpp"
#include "shape_folding.hpp"

namespace gpuopt::memory {
namespace {

// With a symbolic batch dimension, shapes are inferred at two batch sizes and a tensor's elements
// per sample are the difference: that also finds the batch where a reshape folds it into another
// dimension (attention heads), and leaves batch-independent tensors (shapes, constants) at 0.
constexpr std::int64_t kSmallBatch = 1;
constexpr std::int64_t kLargeBatch = 2;

using TypeMap = std::unordered_map<std::string, const onnx::TypeProto*>;

std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string node_label(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? fmt::format("node #{} ({})", index, node.op_type())
                             : fmt::format("node '{}' ({})", node.name(), node.op_type());
}

onnx::ModelProto load_model(const std::string& path) {
  // Protobuf's own limit: larger models keep their weights in external data files.
  const std::string bytes = read_file_capped(path, 2048 * kMiB, "an ONNX model");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw ParseError(path, 0, "", "not an ONNX model (protobuf parsing failed: truncated or another format)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw ParseError(path, 0, "", "not an ONNX model (no graph nodes)");
  return model;
}

// Reorders the nodes so that each comes after the producers of its inputs (stable otherwise).
void sort_topologically(onnx::GraphProto& graph, const std::string& path) {
  const int count = graph.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < count; ++i) {
    for (const auto& output : graph.node(i).output()) {
      if (!output.empty()) producer.emplace(output, i);
    }
  }
  std::vector<std::vector<int>> consumers(count);
  std::vector<int> pending(count, 0);
  for (int i = 0; i < count; ++i) {
    for (const auto& input : graph.node(i).input()) {
      const auto it = producer.find(input);
      if (it == producer.end()) continue;
      consumers[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < count; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (const int next : consumers[i]) {
      if (--pending[next] == 0) ready.push(next);
    }
  }
  if (static_cast<int>(order.size()) < count) {
    for (int i = 0; i < count; ++i) {
      if (pending[i] > 0)
        throw ParseError(path, 0, "",
                         fmt::format("the graph has a cycle through {}", node_label(graph.node(i), i)));
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (const int i : order) *sorted.Add() = graph.node(i);
  graph.mutable_node()->Swap(&sorted);
}

void check(const onnx::ModelProto& model, const std::string& path) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw ParseError(path, 0, "", "invalid ONNX model: " + one_line(e.what()));
  }
}

// Bytes per element of the fixed-size tensor types (0: strings and unknown types).
std::int64_t element_bytes(int type) {
  using T = onnx::TensorProto;
  switch (type) {
    case T::DOUBLE:
    case T::INT64:
    case T::UINT64:
    case T::COMPLEX64:
      return 8;
    case T::FLOAT:
    case T::INT32:
    case T::UINT32:
      return 4;
    case T::FLOAT16:
    case T::BFLOAT16:
    case T::INT16:
    case T::UINT16:
      return 2;
    case T::INT8:
    case T::UINT8:
    case T::BOOL:
      return 1;
    case T::COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

// Initializers whose declared shape their data contradicts (4 bytes of raw data for a [2^30, 2^10]
// weight counted 1.1e12 parameters), and external data outside the model's folder (the checker
// would answer whether /etc/passwd exists). Weights exported without values (shape only) are fine.
void check_initializers(const onnx::GraphProto& graph, const std::string& path) {
  for (const auto& t : graph.initializer()) {
    const std::string field = fmt::format("initializer '{}'", t.name());
    std::int64_t elements = 1;
    for (const auto d : t.dims()) {
      if (d < 0 || (d > 0 && elements > (std::int64_t{1} << 40) / d))
        throw ParseError(path, 0, field, "impossible shape (a negative size or more than 2^40 elements)");
      elements *= d;
    }
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      for (const auto& entry : t.external_data()) {
        if (entry.key() != "location") continue;
        const std::filesystem::path location(entry.value());
        const bool escapes = location.is_absolute() || std::any_of(location.begin(), location.end(),
                                                                   [](const auto& p) { return p == ".."; });
        if (escapes)
          throw ParseError(path, 0, field,
                           fmt::format("external data '{}' is outside the model's folder", entry.value()));
      }
      continue;
    }
    const std::int64_t bytes = element_bytes(t.data_type());
    if (!t.raw_data().empty() && bytes > 0 &&
        static_cast<std::int64_t>(t.raw_data().size()) != elements * bytes)
      throw ParseError(
          path, 0, field,
          fmt::format("{} bytes of data for {} elements of {} bytes", t.raw_data().size(), elements, bytes));
  }
}

// Weights are counted, never read: dropping their values keeps the copies that shape inference
// works on small.
void drop_weight_values(onnx::GraphProto& graph) {
  for (auto& t : *graph.mutable_initializer()) {
    std::int64_t elements = 1;
    for (const auto d : t.dims()) elements *= d;
    if (elements <= static_cast<std::int64_t>(kMaxFoldedElements)) continue;
    t.clear_raw_data();
    t.clear_float_data();
    t.clear_double_data();
    t.clear_int32_data();
    t.clear_int64_data();
    t.clear_uint64_data();
  }
}

bool is_floating(int element_type) {
  using T = onnx::TensorProto;
  return element_type == T::FLOAT || element_type == T::DOUBLE || element_type == T::FLOAT16 ||
         element_type == T::BFLOAT16;
}

const onnx::TensorShapeProto* tensor_shape(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return nullptr;
  return &type.tensor_type().shape();
}

// nullopt when a dimension is not a known size, or the count overflows.
std::optional<std::int64_t> element_count(const onnx::TensorShapeProto& shape) {
  std::int64_t elements = 1;
  for (const auto& dim : shape.dim()) {
    if (!dim.has_dim_value() || dim.dim_value() < 0) return std::nullopt;
    if (__builtin_mul_overflow(elements, dim.dim_value(), &elements)) return std::nullopt;
  }
  return elements;
}

bool has_symbolic_batch(const onnx::ValueInfoProto& input) {
  const auto* shape = tensor_shape(input.type());
  return shape && shape->dim_size() > 0 && !shape->dim(0).has_dim_value();
}

// The data inputs: graph inputs that are not initializers and have a symbolic leading dimension;
// with none, the first such input. The others are weights (export_params=False).
std::vector<const onnx::ValueInfoProto*> data_inputs(const onnx::GraphProto& graph, const std::string& path) {
  std::unordered_set<std::string> initializers;
  for (const auto& t : graph.initializer()) initializers.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> inputs;
  std::vector<const onnx::ValueInfoProto*> batched;
  for (const auto& input : graph.input()) {
    if (initializers.contains(input.name())) continue;
    inputs.push_back(&input);
    if (has_symbolic_batch(input)) batched.push_back(&input);
  }
  if (inputs.empty()) throw ParseError(path, 0, "", "the ONNX graph has no data input");
  if (batched.empty()) batched.push_back(inputs.front());
  const auto* shape = tensor_shape(batched.front()->type());
  if (!shape || shape->dim_size() == 0)
    throw ParseError(path, 0, "",
                     fmt::format("data input '{}' has no batch dimension", batched.front()->name()));
  return batched;
}

TypeMap types_of(const onnx::GraphProto& graph) {
  TypeMap types;
  for (const auto& v : graph.input()) types.emplace(v.name(), &v.type());
  for (const auto& v : graph.value_info()) types.emplace(v.name(), &v.type());
  for (const auto& v : graph.output()) types.emplace(v.name(), &v.type());
  return types;
}

// --- Folding shape arithmetic (see shape_folding.hpp) ---------------------------------------

std::optional<ValueType> value_type(int onnx_type) {
  using T = onnx::TensorProto;
  switch (onnx_type) {
    case T::INT64:
      return ValueType::int64;
    case T::INT32:
      return ValueType::int32;
    case T::BOOL:
      return ValueType::boolean;
    case T::FLOAT:
      return ValueType::float32;
    case T::DOUBLE:
      return ValueType::float64;
    default:
      return std::nullopt;
  }
}

template <typename T>
std::vector<double> parsed(const onnx::TensorProto& tensor) {
  const auto data = onnx::ParseData<T>(&tensor);
  return {data.begin(), data.end()};
}

std::optional<SmallTensor> small_tensor(const onnx::TensorProto& tensor) {
  const auto type = value_type(tensor.data_type());
  std::int64_t count = 1;
  for (const auto d : tensor.dims()) count *= d;
  if (!type || *type == ValueType::boolean || count < 0 ||
      count > static_cast<std::int64_t>(kMaxFoldedElements) ||
      tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  SmallTensor out{*type, {tensor.dims().begin(), tensor.dims().end()}, {}};
  switch (*type) {
    case ValueType::int64:
      out.values = parsed<std::int64_t>(tensor);
      break;
    case ValueType::int32:
      out.values = parsed<std::int32_t>(tensor);
      break;
    case ValueType::float32:
      out.values = parsed<float>(tensor);
      break;
    default:
      out.values = parsed<double>(tensor);
      break;
  }
  if (out.values.size() != static_cast<std::size_t>(count)) return std::nullopt;
  return out;
}

onnx::TensorProto tensor_proto(const SmallTensor& t) {
  using T = onnx::TensorProto;
  onnx::TensorProto out;
  for (const auto d : t.dims) out.add_dims(d);
  for (const double v : t.values) {
    switch (t.type) {
      case ValueType::int64:
        out.add_int64_data(static_cast<std::int64_t>(v));
        break;
      case ValueType::int32:
      case ValueType::boolean:
        out.add_int32_data(static_cast<std::int32_t>(v));
        break;
      case ValueType::float32:
        out.add_float_data(static_cast<float>(v));
        break;
      case ValueType::float64:
        out.add_double_data(v);
        break;
    }
  }
  constexpr int kTypes[] = {T::INT64, T::INT32, T::BOOL, T::FLOAT, T::DOUBLE};
  out.set_data_type(kTypes[static_cast<int>(t.type)]);
  return out;
}

// The value of a Constant node, when small.
std::optional<SmallTensor> constant_value(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute()) {
    if (a.name() == "value" && a.has_t()) return small_tensor(a.t());
    if (a.name() == "value_int") return SmallTensor{ValueType::int64, {}, {static_cast<double>(a.i())}};
    if (a.name() == "value_float") return SmallTensor{ValueType::float32, {}, {a.f()}};
    if (a.name() == "value_ints" && a.ints_size() <= static_cast<int>(kMaxFoldedElements))
      return SmallTensor{ValueType::int64, {a.ints_size()}, {a.ints().begin(), a.ints().end()}};
  }
  return std::nullopt;
}

// Shape/Size of a tensor whose shape inference fully knows.
std::optional<SmallTensor> shape_value(const onnx::NodeProto& node, const TypeMap& types) {
  const auto it = types.find(node.input(0));
  const auto* shape = it == types.end() ? nullptr : tensor_shape(*it->second);
  if (!shape || !element_count(*shape)) return std::nullopt;
  std::vector<double> dims;
  for (const auto& d : shape->dim()) dims.push_back(static_cast<double>(d.dim_value()));
  if (node.op_type() == "Size")
    return SmallTensor{ValueType::int64, {}, {static_cast<double>(*element_count(*shape))}};
  auto rank = static_cast<std::int64_t>(dims.size());
  std::int64_t start = 0;
  std::int64_t end = rank;
  for (const auto& a : node.attribute()) {
    if (a.name() == "start")
      start = a.i() < 0 ? std::max<std::int64_t>(a.i() + rank, 0) : std::min(a.i(), rank);
    if (a.name() == "end") end = a.i() < 0 ? std::max<std::int64_t>(a.i() + rank, 0) : std::min(a.i(), rank);
  }
  if (start > end) start = end;
  return SmallTensor{ValueType::int64, {end - start}, {dims.begin() + start, dims.begin() + end}};
}

FoldAttributes fold_attributes(const onnx::NodeProto& node) {
  FoldAttributes attributes;
  for (const auto& a : node.attribute()) {
    if (a.name() == "axis") attributes.axis = a.i();
    if (a.name() == "axes") attributes.axes.assign(a.ints().begin(), a.ints().end());
    if (a.name() == "to") attributes.cast_to = value_type(static_cast<int>(a.i()));
    if (a.name() == "value" && a.has_t()) attributes.fill = small_tensor(a.t());
  }
  return attributes;
}

// One pass over the graph: every single-output node whose inputs are known small tensors (or a
// Shape/Size of a fully known shape) becomes a Constant holding its value. Returns whether any did.
bool fold_constants(onnx::GraphProto& graph) {
  const TypeMap types = types_of(graph);
  std::unordered_map<std::string, SmallTensor> known;
  for (const auto& t : graph.initializer()) {
    if (auto value = small_tensor(t)) known.emplace(t.name(), std::move(*value));
  }
  bool folded = false;
  for (auto& node : *graph.mutable_node()) {
    if (node.output_size() != 1 || !node.domain().empty()) continue;
    if (node.op_type() == "Constant") {
      if (auto value = constant_value(node)) known.emplace(node.output(0), std::move(*value));
      continue;
    }
    std::optional<SmallTensor> value;
    if (node.op_type() == "Shape" || node.op_type() == "Size") {
      value = shape_value(node, types);
    } else {
      std::vector<const SmallTensor*> inputs;
      for (const auto& name : node.input()) {
        const auto it = known.find(name);
        inputs.push_back(it == known.end() ? nullptr : &it->second);
      }
      value = fold_op(node.op_type(), inputs, fold_attributes(node));
    }
    if (!value) continue;
    node.clear_input();
    node.clear_attribute();
    node.set_op_type("Constant");
    auto* attribute = node.add_attribute();
    attribute->set_name("value");
    attribute->set_type(onnx::AttributeProto::TENSOR);
    *attribute->mutable_t() = tensor_proto(*value);
    known.emplace(node.output(0), std::move(*value));
    folded = true;
  }
  return folded;
}

// Elements per sample of every node output, from shape inference.
class SampleSizes {
 public:
  SampleSizes(const onnx::ModelProto& model, const std::vector<const onnx::ValueInfoProto*>& data,
              const std::string& path);

  // Throws ParseError naming the node when its first output has no shape or an unknown dimension.
  std::int64_t of(const onnx::NodeProto& node, int index) const;
  // Whether node `index` only computes a constant (shape arithmetic), folded before inference.
  bool is_constant(int index) const { return small_.graph().node(index).op_type() == "Constant"; }

 private:
  onnx::ModelProto inferred(std::optional<std::int64_t> batch) const;
  const onnx::TensorShapeProto& shape_in(const TypeMap& types, const onnx::NodeProto& node, int index) const;
  std::int64_t count_in(const TypeMap& types, const onnx::NodeProto& node, int index) const;

  const onnx::ModelProto& model_;
  const std::vector<const onnx::ValueInfoProto*>& data_;
  const std::string& path_;
  std::int64_t exported_batch_ = 0;  // 0: the batch is symbolic
  onnx::ModelProto small_, large_;
  TypeMap small_types_, large_types_;
};

SampleSizes::SampleSizes(const onnx::ModelProto& model, const std::vector<const onnx::ValueInfoProto*>& data,
                         const std::string& path)
    : model_(model), data_(data), path_(path) {
  const auto& first = tensor_shape(data.front()->type())->dim(0);
  if (first.has_dim_value()) {
    exported_batch_ = first.dim_value();
    small_ = inferred(std::nullopt);
  } else {
    small_ = inferred(kSmallBatch);
    large_ = inferred(kLargeBatch);
    large_types_ = types_of(large_.graph());
  }
  small_types_ = types_of(small_.graph());
}

// A copy with the data inputs' batch set (unless nullopt) and every other shape inferred afresh.
onnx::ModelProto SampleSizes::inferred(std::optional<std::int64_t> batch) const {
  onnx::ModelProto copy = model_;
  auto& graph = *copy.mutable_graph();
  graph.clear_value_info();
  for (auto& output : *graph.mutable_output()) {
    if (output.type().has_tensor_type()) output.mutable_type()->mutable_tensor_type()->clear_shape();
  }
  for (auto& input : *graph.mutable_input()) {
    const bool is_data =
        std::any_of(data_.begin(), data_.end(), [&](const auto* d) { return d->name() == input.name(); });
    if (batch && is_data)
      input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(*batch);
  }
  // Each pass may give shapes to tensors whose Shape feeds the next computation.
  constexpr int kMaxPasses = 256;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    try {
      const onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/1, /*data_prop=*/true);
      onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception& e) {
      throw ParseError(path_, 0, "", "ONNX shape inference failed: " + one_line(e.what()));
    }
    if (!fold_constants(graph)) break;
  }
  return copy;
}

const onnx::TensorShapeProto& SampleSizes::shape_in(const TypeMap& types, const onnx::NodeProto& node,
                                                    int index) const {
  const auto it = types.find(node.output(0));
  const auto* shape = it == types.end() ? nullptr : tensor_shape(*it->second);
  if (!shape)
    throw ParseError(path_, 0, "",
                     fmt::format("{}: no output shape after shape inference (unsupported operator?)",
                                 node_label(node, index)));
  return *shape;
}

std::int64_t SampleSizes::count_in(const TypeMap& types, const onnx::NodeProto& node, int index) const {
  const auto count = element_count(shape_in(types, node, index));
  if (!count)
    throw ParseError(path_, 0, "",
                     fmt::format("{}: output '{}' has a dimension other than the batch that is not fixed",
                                 node_label(node, index), node.output(0)));
  return *count;
}

std::int64_t SampleSizes::of(const onnx::NodeProto& node, int index) const {
  if (exported_batch_ == 0) {
    const std::int64_t small = count_in(small_types_, node, index);
    const std::int64_t large = count_in(large_types_, node, index);
    if (large < small)
      throw ParseError(path_, 0, "",
                       fmt::format("{}: output shrinks as the batch grows", node_label(node, index)));
    return (large - small) / (kLargeBatch - kSmallBatch);
  }
  // A fixed exported batch: drop a leading dimension of that size.
  const auto& shape = shape_in(small_types_, node, index);
  const std::int64_t count = count_in(small_types_, node, index);
  const bool batched = shape.dim_size() > 0 && shape.dim(0).dim_value() == exported_batch_;
  return batched ? count / exported_batch_ : count;
}

// Parameters of the nodes: floating-point initializers plus, for a model exported without
// parameters, the graph inputs that are not data; each counted at its first use.
class ParameterTable {
 public:
  ParameterTable(const onnx::GraphProto& graph, const std::vector<const onnx::ValueInfoProto*>& data) {
    std::unordered_set<std::string> initializers;
    for (const auto& t : graph.initializer()) {
      initializers.insert(t.name());
      if (!is_floating(t.data_type())) continue;
      std::int64_t n = 1;
      for (const auto d : t.dims()) n *= d;
      elements_.emplace(t.name(), n);
    }
    for (const auto& input : graph.input()) {
      const bool is_data = std::find(data.begin(), data.end(), &input) != data.end();
      const auto* shape = tensor_shape(input.type());
      if (is_data || initializers.contains(input.name()) || !shape) continue;
      if (!is_floating(input.type().tensor_type().elem_type())) continue;
      if (const auto n = element_count(*shape)) elements_.emplace(input.name(), *n);
    }
  }

  std::int64_t own_params(const onnx::NodeProto& node) {
    // BatchNormalization's running mean and variance (inputs 3, 4) are buffers, not parameters.
    const int inputs =
        node.op_type() == "BatchNormalization" ? std::min(node.input_size(), 3) : node.input_size();
    std::int64_t params = 0;
    for (int i = 0; i < inputs; ++i) {
      const auto it = elements_.find(node.input(i));
      if (it != elements_.end() && counted_.insert(it->first).second) params += it->second;
    }
    return params;
  }

 private:
  std::unordered_map<std::string, std::int64_t> elements_;
  std::unordered_set<std::string> counted_;
};

std::vector<std::int64_t> input_shape(const onnx::ValueInfoProto& data, const std::string& path) {
  const auto& shape = *tensor_shape(data.type());
  // Bounds no real input reaches; past them the element counts below would overflow.
  constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;
  constexpr std::int64_t kMaxSampleElements = std::int64_t{1} << 40;
  std::vector<std::int64_t> sizes;
  std::int64_t elements = 1;
  for (int i = 1; i < shape.dim_size(); ++i) {
    if (!shape.dim(i).has_dim_value())
      throw ParseError(path, 0, "",
                       fmt::format("data input '{}': dimension {} is not fixed", data.name(), i));
    const std::int64_t size = shape.dim(i).dim_value();
    if (size < 1 || size > kMaxDim) {
      throw ParseError(
          path, 0, "",
          fmt::format("data input '{}': dimension {} is {} (must be 1..{})", data.name(), i, size, kMaxDim));
    }
    elements *= size;
    if (elements > kMaxSampleElements) {
      throw ParseError(path, 0, "",
                       fmt::format("data input '{}': more than 2^40 elements per sample", data.name()));
    }
    sizes.push_back(size);
  }
  return sizes;
}

}  // namespace

Task import_onnx(const std::string& path, std::int64_t batch_size) {
  if (batch_size <= 0) throw UsageError(fmt::format("batch size must be > 0, got {}", batch_size));
  onnx::ModelProto model = load_model(path);
  sort_topologically(*model.mutable_graph(), path);
  check_initializers(model.graph(), path);
  check(model, path);
  drop_weight_values(*model.mutable_graph());
  const auto& graph = model.graph();
  const auto data = data_inputs(graph, path);
  const SampleSizes sizes(model, data, path);
  ParameterTable parameters(graph, data);

  Task task;
  task.model = std::filesystem::path(path).stem().string();
  task.id = fmt::format("onnx/{}/bs{}", task.model, batch_size);
  task.source = "onnx";
  task.family = family_of(task.model);
  if (!model.producer_name().empty()) task.framework = model.producer_name();
  task.batch_size = batch_size;
  task.input_shape = input_shape(*data.front(), path);
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    if (node.output_size() == 0 || node.output(0).empty()) continue;
    const std::int64_t params = parameters.own_params(node);
    if (params == 0 && sizes.is_constant(i)) continue;
    task.layers.push_back({node.op_type(), sizes.of(node, i), params});
    task.params += params;
  }
  return task;
}

}  // namespace gpuopt::memory
