// Internal: evaluates the small tensors (shapes, sizes, indices) that exported models compute with
// ordinary ops (Shape -> Gather -> Div -> Concat -> Reshape), so that shape inference can treat
// them as constants. Knows no ONNX types; onnx_import.cpp translates nodes to and from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gpuopt::memory {

enum class ValueType { int64, int32, boolean, float32, float64 };

struct SmallTensor {
  ValueType type = ValueType::int64;
  std::vector<std::int64_t> dims;  // empty = scalar
  std::vector<double> values;      // row-major; integers are exact up to 2^53
};

inline constexpr std::size_t kMaxFoldedElements = 64;  // larger tensors are data, not shapes

// The attributes the folded ops read (callers fill what the op has).
struct FoldAttributes {
  std::int64_t axis = 0;             // Concat, Gather
  std::vector<std::int64_t> axes;    // Unsqueeze/Squeeze before opset 13 (later: an input)
  std::optional<ValueType> cast_to;  // Cast
  std::optional<SmallTensor> fill;   // ConstantOfShape's value (default: float 0)
};

// The result of `op` on known inputs, or nullopt when the op is not one of Add, Sub, Mul, Div,
// Equal, Less, Greater, Where, Unsqueeze, Squeeze, Concat, Gather, Slice, Reshape, ConstantOfShape,
// Cast, Identity, or the inputs are outside what it handles (then the value stays unknown).
std::optional<SmallTensor> fold_op(std::string_view op, const std::vector<const SmallTensor*>& inputs,
                                   const FoldAttributes& attributes);

}  // namespace gpuopt::memory
