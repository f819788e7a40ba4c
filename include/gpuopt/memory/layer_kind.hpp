// The shared layer-kind vocabulary: PyTorch class names (Conv2d, LayerNorm, GELU), GPUMemNet's
// lower-case names (conv2d, batch_normalization, linear) and ONNX op types (Conv, Gemm,
// BatchNormalization) map to one canonical kind, so a model trained on one source works on the
// others. Names nobody listed map to LayerKind::other, never to an error.
#pragma once

#include <cstdint>
#include <string_view>

namespace gpuopt::memory {

enum class LayerKind : std::uint8_t {
  other = 0,  // unknown names
  conv,
  conv_transpose,
  linear,
  matmul,
  batch_norm,
  layer_norm,
  group_norm,
  other_norm,
  relu,
  gelu,
  silu,
  sigmoid,
  tanh,
  softmax,
  other_activation,
  dropout,
  max_pool,
  avg_pool,
  adaptive_pool,
  embedding,
  attention,
  identity,
  flatten_reshape,
  elementwise,
  concat,
  upsample,
  recurrent,
  block,  // a composite module (residual block, stage, squeeze-excite): output overlaps its children's
  count_  // number of kinds
};

inline constexpr int kLayerKindCount = static_cast<int>(LayerKind::count_);

LayerKind canonical_kind(std::string_view raw_name);
std::string_view kind_name(LayerKind kind);  // "conv", "linear", ...

}  // namespace gpuopt::memory
