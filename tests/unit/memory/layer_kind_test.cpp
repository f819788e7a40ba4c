#include "gpuopt/memory/layer_kind.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace gpuopt::memory {
namespace {

struct Names {
  LayerKind kind;
  std::vector<const char*> raw;  // PyTorch class, GPUMemNet name, ONNX op type, timm variants
};

class SharedVocabulary : public ::testing::TestWithParam<Names> {};

TEST_P(SharedVocabulary, AllSourcesMeet) {
  for (const char* raw : GetParam().raw)
    EXPECT_EQ(kind_name(canonical_kind(raw)), kind_name(GetParam().kind)) << raw;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SharedVocabulary,
    ::testing::Values(
        Names{LayerKind::conv,
              {"Conv2d", "conv2d", "Conv", "Conv1d", "Conv2dSame", "StdConv2dSame", "ScaledStdConv2d"}},
        Names{LayerKind::conv_transpose, {"ConvTranspose2d", "ConvTranspose"}},
        Names{LayerKind::linear, {"Linear", "linear", "Gemm", "NonDynamicallyQuantizableLinear"}},
        Names{LayerKind::matmul, {"MatMul", "Einsum"}},
        Names{LayerKind::batch_norm,
              {"BatchNorm2d", "batchnorm2d", "batch_normalization", "BatchNormalization", "BatchNormAct2d"}},
        Names{LayerKind::layer_norm, {"LayerNorm", "LayerNormalization", "LayerNorm2dNoBias", "RmsNorm"}},
        Names{LayerKind::group_norm, {"GroupNorm", "GroupNorm1NoBias", "GroupNormAct"}},
        Names{LayerKind::other_norm, {"EvoNorm2dS0a", "InstanceNormalization", "GlobalResponseNorm"}},
        Names{LayerKind::relu, {"ReLU", "Relu", "LeakyReLU", "LeakyRelu", "PReLU", "ReLU6", "StarReLU"}},
        Names{LayerKind::gelu, {"GELU", "Gelu", "QuickGELU", "GELUTanh"}},
        Names{LayerKind::silu, {"SiLU", "Hardswish", "HardSwish", "Swish"}},
        Names{LayerKind::sigmoid, {"Sigmoid", "Hardsigmoid", "HardSigmoid"}},
        Names{LayerKind::softmax, {"Softmax", "softmax", "LogSoftmax", "RadixSoftmax"}},
        Names{LayerKind::other_activation, {"ELU", "Elu", "SELU", "Selu", "Softplus", "Mish"}},
        Names{LayerKind::dropout, {"Dropout", "dropout", "Dropout2d", "DropPath"}},
        Names{LayerKind::max_pool, {"MaxPool2d", "MaxPool", "MaxPool2dSame"}},
        Names{LayerKind::avg_pool, {"AvgPool2d", "AveragePool", "AvgPool2dSame", "BlurPool2d"}},
        Names{LayerKind::adaptive_pool,
              {"AdaptiveAvgPool2d", "adaptive_avg_pool2d", "GlobalAveragePool", "FastAdaptiveAvgPool"}},
        Names{LayerKind::embedding, {"Embedding", "RelPosBias", "EmbeddingBag"}},
        Names{LayerKind::attention,
              {"Attention", "WindowAttention", "MultiheadAttention", "CascadedGroupAttention"}},
        Names{LayerKind::identity, {"Identity", "Sequential"}},
        Names{LayerKind::flatten_reshape, {"Flatten", "Reshape", "Transpose", "ZeroPad2d", "PixelShuffle"}},
        Names{LayerKind::elementwise, {"Add", "Mul", "LayerScale", "LayerScale2d", "Scale"}},
        Names{LayerKind::concat, {"Concat"}},
        Names{LayerKind::upsample, {"Upsample", "Resize", "UpsamplingBilinear2d"}},
        Names{LayerKind::recurrent, {"LSTM", "GRU"}},
        Names{LayerKind::block,
              {"Block", "BasicBlock", "ConvNeXtBlock", "InvertedResidual", "SqueezeExcite",
               "LayerScaleBlockClassAttn"}}));

TEST(LayerKind, UnknownNamesAreOther) {
  EXPECT_EQ(canonical_kind("VisionTransformer"), LayerKind::other);
  EXPECT_EQ(canonical_kind("Frobnicator"), LayerKind::other);
  EXPECT_EQ(canonical_kind(""), LayerKind::other);
}

TEST(LayerKind, EveryKindHasADistinctName) {
  std::set<std::string> names;
  for (int i = 0; i < kLayerKindCount; ++i) {
    const auto name = kind_name(static_cast<LayerKind>(i));
    EXPECT_FALSE(name.empty());
    names.emplace(name);
    EXPECT_EQ(canonical_kind(name), static_cast<LayerKind>(i)) << name;
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kLayerKindCount));
}

}  // namespace
}  // namespace gpuopt::memory
