#include "gpuopt/memory/layer_kind.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace gpuopt::memory {
namespace {

using K = LayerKind;

constexpr std::array<std::string_view, kLayerKindCount> kNames = {
    "other",       "conv",       "conv_transpose", "linear",
    "matmul",      "batch_norm", "layer_norm",     "group_norm",
    "other_norm",  "relu",       "gelu",           "silu",
    "sigmoid",     "tanh",       "softmax",        "other_activation",
    "dropout",     "max_pool",   "avg_pool",       "adaptive_pool",
    "embedding",   "attention",  "identity",       "flatten_reshape",
    "elementwise", "concat",     "upsample",       "recurrent",
    "block"};

// Exact names after normalize(), space-separated: PyTorch classes (dimension suffixes stripped),
// GPUMemNet's lower-case names, ONNX op types and the timm modules seen in the shared data.
struct KindNames {
  LayerKind kind;
  std::string_view names;
};
constexpr KindNames kExactNames[] = {
    {K::identity, "identity sequential noop"},
    {K::conv, "conv convinteger qlinearconv"},
    {K::conv_transpose, "convtranspose"},
    {K::linear, "linear gemm dense"},
    {K::matmul, "matmul matmulinteger qlinearmatmul einsum bmm"},
    {K::batch_norm, "batchnorm batchnormalization syncbatchnorm frozenbatchnorm"},
    {K::layer_norm, "layernorm layernormalization rmsnorm simplifiedlayernormalization"},
    {K::group_norm, "groupnorm groupnorm1 groupnormalization"},
    {K::other_norm, "instancenorm instancenormalization lrn localresponsenorm"},
    {K::relu, "relu relu6 leakyrelu prelu rrelu clip starrelu"},
    {K::gelu, "gelu quickgelu gelutanh"},
    {K::silu, "silu swish hardswish hswish"},
    {K::sigmoid, "sigmoid hardsigmoid hsigmoid logsigmoid"},
    {K::tanh, "tanh hardtanh"},
    {K::softmax, "softmax logsoftmax softmin radixsoftmax"},
    {K::other_activation,
     "elu selu celu softplus softsign mish thresholdedrelu glu threshold softshrink hardshrink tanhshrink"},
    {K::dropout, "dropout droppath alphadropout featurealphadropout dropblock"},
    {K::max_pool, "maxpool maxunpool"},
    {K::avg_pool, "avgpool averagepool blurpool lppool downsample"},
    {K::adaptive_pool,
     "adaptiveavgpool adaptivemaxpool globalaveragepool globalmaxpool fastadaptiveavgpool "
     "selectadaptivepool"},
    {K::embedding, "embedding embeddingbag relposbias relposbiastf posembedrel"},
    {K::attention, "multiheadattention gpsa lambdalayer"},
    {K::flatten_reshape,
     "flatten flat unflatten reshape view transpose permute squeeze unsqueeze shape size slice split gather "
     "gatherelements expand tile pad constantpad zeropad reflectionpad replicationpad pixelshuffle "
     "pixelunshuffle spacetodepth depthtospace unfold fold unroll reroll constant constantofshape range cast "
     "channelshuffle"},
    {K::elementwise,
     "add sub mul div pow sqrt erf exp log neg abs reciprocal reducemean reducesum reducemax reducemin "
     "reducel2 "
     "where equal less greater not and or max min mean sum floor ceil round sign cos sin layerscale scale "
     "learnableaffineblock affine"},
    {K::concat, "concat cat"},
    {K::upsample, "upsample upsamplingnearest upsamplingbilinear resize interpolate"},
    {K::recurrent, "lstm gru rnn lstmcell grucell rnncell"},
    {K::block,
     "basicblock bottleneck invertedresidual squeezeexcite patchembed nestlevel depthwiseseparableconv "
     "convbnact "
     "convnormact"},
};

std::string normalize(std::string_view raw);

const std::unordered_map<std::string, LayerKind>& exact_names() {
  static const std::unordered_map<std::string, LayerKind> names = [] {
    std::unordered_map<std::string, LayerKind> m;
    // The canonical names themselves ("batch_norm", "other_activation") read back as their kind.
    for (int i = 0; i < kLayerKindCount; ++i) m.emplace(normalize(kNames[i]), static_cast<LayerKind>(i));
    for (const auto& [kind, list] : kExactNames) {
      for (std::size_t begin = 0; begin < list.size();) {
        const std::size_t end = std::min(list.find(' ', begin), list.size());
        m.emplace(list.substr(begin, end - begin), kind);
        begin = end + 1;
      }
    }
    return m;
  }();
  return names;
}

// Lower case without '_' and '-': "batch_normalization" and "BatchNormalization" meet.
std::string normalize(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) {
    if (c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// Strips variant suffixes ("Conv2dSame" -> "conv", "BatchNormAct2d" -> "batchnorm",
// "GroupNorm1NoBias" -> "groupnorm1") until an exact name matches.
std::optional<LayerKind> exact_kind(std::string name) {
  static constexpr std::array<std::string_view, 6> kSuffixes = {"1d", "2d", "3d", "same", "nobias", "act"};
  const auto& names = exact_names();
  for (;;) {
    if (const auto it = names.find(name); it != names.end()) return it->second;
    bool stripped = false;
    for (const auto suffix : kSuffixes) {
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        name.resize(name.size() - suffix.size());
        stripped = true;
        break;
      }
    }
    if (!stripped) return std::nullopt;
  }
}

bool has(std::string_view name, std::initializer_list<std::string_view> parts) {
  for (const auto part : parts) {
    if (name.find(part) != std::string_view::npos) return true;
  }
  return false;
}

// Families of names nobody listed, by the words they contain. Order matters: a "...BlockClassAttn"
// is a block, a "CascadedGroupAttention" is attention, a "ScaledStdConv" is a convolution.
LayerKind pattern_kind(std::string_view n) {
  if (has(n, {"block", "bottleneck", "residual", "stage", "squeezeexcite"})) return K::block;
  if (has(n, {"attention", "attn"})) return K::attention;
  if (has(n, {"deconv"}) || (has(n, {"conv"}) && has(n, {"transpose"}))) return K::conv_transpose;
  if (has(n, {"conv"})) return K::conv;
  if (has(n, {"batchnorm"})) return K::batch_norm;
  if (has(n, {"layernorm", "rmsnorm"})) return K::layer_norm;
  if (has(n, {"groupnorm"})) return K::group_norm;
  if (has(n, {"norm"})) return K::other_norm;
  if (has(n, {"pool"})) {
    if (has(n, {"adaptive", "global"})) return K::adaptive_pool;
    return has(n, {"max"}) ? K::max_pool : K::avg_pool;
  }
  if (has(n, {"softmax"})) return K::softmax;
  if (has(n, {"dropout", "droppath", "dropblock"})) return K::dropout;
  if (has(n, {"gelu"})) return K::gelu;
  if (has(n, {"relu"})) return K::relu;
  if (has(n, {"silu", "swish"})) return K::silu;
  if (has(n, {"sigmoid"})) return K::sigmoid;
  if (has(n, {"tanh"})) return K::tanh;
  if (has(n, {"linear"})) return K::linear;
  if (has(n, {"embed"})) return K::embedding;
  if (has(n, {"upsampl", "interpolat", "resize"})) return K::upsample;
  if (has(n, {"lstm", "gru", "rnn"})) return K::recurrent;
  if (has(n, {"pad", "reshape", "flatten", "shuffle"})) return K::flatten_reshape;
  if (has(n, {"scale"})) return K::elementwise;
  return K::other;
}

}  // namespace

LayerKind canonical_kind(std::string_view raw_name) {
  std::string name = normalize(raw_name);
  if (const auto kind = exact_kind(name)) return *kind;
  return pattern_kind(name);
}

std::string_view kind_name(LayerKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kNames.size() ? kNames[index] : kNames[0];
}

}  // namespace gpuopt::memory
