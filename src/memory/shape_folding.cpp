#include "shape_folding.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace gpuopt::memory {
namespace {

using Inputs = std::vector<const SmallTensor*>;
using Result = std::optional<SmallTensor>;

std::size_t element_count(const std::vector<std::int64_t>& dims) {
  std::size_t n = 1;
  for (const auto d : dims) n *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
  return n;
}

bool is_integral(ValueType type) { return type != ValueType::float32 && type != ValueType::float64; }

// Normalizes a possibly negative axis for `rank`; nullopt when out of range.
std::optional<std::size_t> axis_index(std::int64_t axis, std::size_t rank) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

std::vector<std::int64_t> as_integers(const SmallTensor& t) { return {t.values.begin(), t.values.end()}; }

// Element-wise over inputs of equal size or a single element (broadcast).
Result broadcast(const Inputs& in, ValueType type,
                 const std::function<std::optional<double>(const double*)>& f) {
  const SmallTensor* widest = *std::max_element(in.begin(), in.end(), [](const auto* a, const auto* b) {
    return a->values.size() < b->values.size() ||
           (a->values.size() == b->values.size() && a->dims.size() < b->dims.size());
  });
  const std::size_t n = widest->values.size();
  for (const auto* t : in) {
    if (t->values.size() != n && t->values.size() != 1) return std::nullopt;
  }
  SmallTensor out{type, widest->dims, {}};
  std::vector<double> args(in.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < in.size(); ++k)
      args[k] = in[k]->values.size() == 1 ? in[k]->values[0] : in[k]->values[i];
    const auto value = f(args.data());
    if (!value) return std::nullopt;
    out.values.push_back(is_integral(type) ? std::trunc(*value) : *value);
  }
  return out;
}

Result arithmetic(std::string_view op, const Inputs& in) {
  if (in.size() != 2) return std::nullopt;
  const ValueType type = in[0]->type;
  return broadcast(in, type, [op, type](const double* v) -> std::optional<double> {
    if (op == "Add") return v[0] + v[1];
    if (op == "Sub") return v[0] - v[1];
    if (op == "Mul") return v[0] * v[1];
    if (v[1] == 0) return std::nullopt;
    return is_integral(type) ? std::trunc(v[0] / v[1]) : v[0] / v[1];
  });
}

Result comparison(std::string_view op, const Inputs& in) {
  if (in.size() != 2) return std::nullopt;
  return broadcast(in, ValueType::boolean, [op](const double* v) -> std::optional<double> {
    if (op == "Equal") return v[0] == v[1];
    return op == "Less" ? v[0] < v[1] : v[0] > v[1];
  });
}

Result where(const Inputs& in) {
  if (in.size() != 3) return std::nullopt;
  return broadcast(in, in[1]->type,
                   [](const double* v) -> std::optional<double> { return v[0] != 0 ? v[1] : v[2]; });
}

std::vector<std::int64_t> axes_of(const Inputs& in, const FoldAttributes& attributes) {
  return in.size() > 1 ? as_integers(*in[1]) : attributes.axes;
}

Result unsqueeze(const Inputs& in, const FoldAttributes& attributes) {
  SmallTensor out = *in[0];
  const std::size_t rank = out.dims.size() + axes_of(in, attributes).size();
  std::vector<std::size_t> positions;
  for (const auto axis : axes_of(in, attributes)) {
    const auto index = axis_index(axis, rank);
    if (!index) return std::nullopt;
    positions.push_back(*index);
  }
  std::sort(positions.begin(), positions.end());
  for (const auto p : positions) {
    if (p > out.dims.size()) return std::nullopt;
    out.dims.insert(out.dims.begin() + static_cast<std::ptrdiff_t>(p), 1);
  }
  return out;
}

Result squeeze(const Inputs& in, const FoldAttributes& attributes) {
  SmallTensor out = *in[0];
  const auto axes = axes_of(in, attributes);
  std::vector<bool> drop(out.dims.size(), axes.empty());
  for (const auto axis : axes) {
    const auto index = axis_index(axis, out.dims.size());
    if (!index) return std::nullopt;
    drop[*index] = true;
  }
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < out.dims.size(); ++i) {
    if (drop[i] && out.dims[i] != 1 && !axes.empty()) return std::nullopt;
    if (!drop[i] || out.dims[i] != 1) dims.push_back(out.dims[i]);
  }
  out.dims = dims;
  return out;
}

Result concat(const Inputs& in, std::int64_t axis) {
  if (in.empty() || in[0]->dims.empty() || axis_index(axis, in[0]->dims.size()) != 0u) return std::nullopt;
  SmallTensor out{in[0]->type, in[0]->dims, {}};
  out.dims[0] = 0;
  for (const auto* t : in) {
    if (t->dims.size() != out.dims.size() ||
        !std::equal(t->dims.begin() + 1, t->dims.end(), out.dims.begin() + 1))
      return std::nullopt;
    out.dims[0] += t->dims[0];
    out.values.insert(out.values.end(), t->values.begin(), t->values.end());
  }
  return out;
}

Result gather(const Inputs& in, std::int64_t axis) {
  if (in.size() != 2 || in[0]->dims.empty() || axis_index(axis, in[0]->dims.size()) != 0u)
    return std::nullopt;
  const SmallTensor& data = *in[0];
  const std::size_t slice = element_count({data.dims.begin() + 1, data.dims.end()});
  SmallTensor out{data.type, in[1]->dims, {}};
  out.dims.insert(out.dims.end(), data.dims.begin() + 1, data.dims.end());
  for (auto index : as_integers(*in[1])) {
    if (index < 0) index += data.dims[0];
    if (index < 0 || index >= data.dims[0]) return std::nullopt;
    const auto begin =
        data.values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(index) * slice);
    out.values.insert(out.values.end(), begin, begin + static_cast<std::ptrdiff_t>(slice));
  }
  return out;
}

// 1-D slices only (starts, ends[, axes = 0][, steps]).
Result slice(const Inputs& in) {
  if (in.size() < 3 || in[0]->dims.size() != 1 || in[1]->values.size() != 1 || in[2]->values.size() != 1)
    return std::nullopt;
  if (in.size() > 3 &&
      (in[3]->values.size() != 1 || !axis_index(static_cast<std::int64_t>(in[3]->values[0]), 1)))
    return std::nullopt;
  const auto n = in[0]->dims[0];
  const auto step = in.size() > 4 ? static_cast<std::int64_t>(in[4]->values.at(0)) : 1;
  if (step == 0) return std::nullopt;
  const auto clamp = [n, step](double v) {
    auto i = static_cast<std::int64_t>(std::clamp(v, -9.0e15, 9.0e15));
    if (i < 0) i += n;
    return step > 0 ? std::clamp<std::int64_t>(i, 0, n) : std::clamp<std::int64_t>(i, -1, n - 1);
  };
  SmallTensor out{in[0]->type, {0}, {}};
  for (auto i = clamp(in[1]->values[0]), end = clamp(in[2]->values[0]); step > 0 ? i < end : i > end;
       i += step)
    out.values.push_back(in[0]->values[static_cast<std::size_t>(i)]);
  out.dims[0] = static_cast<std::int64_t>(out.values.size());
  return out;
}

Result reshape(const Inputs& in) {
  if (in.size() != 2) return std::nullopt;
  SmallTensor out{in[0]->type, as_integers(*in[1]), in[0]->values};
  std::optional<std::size_t> inferred;
  for (std::size_t i = 0; i < out.dims.size(); ++i) {
    if (out.dims[i] == 0 && i < in[0]->dims.size()) out.dims[i] = in[0]->dims[i];
    if (out.dims[i] == -1) inferred = i;
  }
  if (inferred) {
    out.dims[*inferred] = 1;
    const auto rest = element_count(out.dims);
    if (rest == 0 || out.values.size() % rest != 0) return std::nullopt;
    out.dims[*inferred] = static_cast<std::int64_t>(out.values.size() / rest);
  }
  if (element_count(out.dims) != out.values.size()) return std::nullopt;
  return out;
}

Result constant_of_shape(const Inputs& in, const FoldAttributes& attributes) {
  const auto dims = as_integers(*in[0]);
  if (std::any_of(dims.begin(), dims.end(), [](auto d) { return d < 0; }) ||
      element_count(dims) > kMaxFoldedElements)
    return std::nullopt;
  const SmallTensor fill = attributes.fill.value_or(SmallTensor{ValueType::float32, {}, {0.0}});
  if (fill.values.size() != 1) return std::nullopt;
  return SmallTensor{fill.type, dims, std::vector<double>(element_count(dims), fill.values[0])};
}

Result cast(const Inputs& in, const FoldAttributes& attributes) {
  if (!attributes.cast_to) return std::nullopt;
  SmallTensor out = *in[0];
  out.type = *attributes.cast_to;
  for (auto& v : out.values) {
    if (out.type == ValueType::boolean)
      v = v != 0;
    else if (is_integral(out.type))
      v = std::trunc(v);
  }
  return out;
}

Result dispatch(std::string_view op, const Inputs& in, const FoldAttributes& attributes) {
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return arithmetic(op, in);
  if (op == "Equal" || op == "Less" || op == "Greater") return comparison(op, in);
  if (op == "Where") return where(in);
  if (op == "Unsqueeze") return unsqueeze(in, attributes);
  if (op == "Squeeze") return squeeze(in, attributes);
  if (op == "Concat") return concat(in, attributes.axis);
  if (op == "Gather") return gather(in, attributes.axis);
  if (op == "Slice") return slice(in);
  if (op == "Reshape") return reshape(in);
  if (op == "ConstantOfShape") return constant_of_shape(in, attributes);
  if (op == "Cast") return cast(in, attributes);
  if (op == "Identity") return *in[0];
  return std::nullopt;
}

}  // namespace

std::optional<SmallTensor> fold_op(std::string_view op, const std::vector<const SmallTensor*>& inputs,
                                   const FoldAttributes& attributes) {
  if (inputs.empty() || std::any_of(inputs.begin(), inputs.end(), [](const auto* t) { return t == nullptr; }))
    return std::nullopt;
  auto result = dispatch(op, inputs, attributes);
  if (result && result->values.size() > kMaxFoldedElements) return std::nullopt;
  return result;
}

}  // namespace gpuopt::memory
