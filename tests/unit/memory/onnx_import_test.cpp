// ONNX models written at build time by tests/fixtures/memory/make_onnx.py (torch.onnx, onnx.helper).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/importers.hpp"
#include "gpuopt/memory/layer_kind.hpp"
#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

std::string fixture(const std::string& name) { return std::string(GPUOPT_MEMORY_FIXTURES) + "/" + name; }

std::int64_t torch_params(const std::string& model) {
  std::ifstream in(fixture("params.json"));
  return nlohmann::json::parse(in).at(model).get<std::int64_t>();
}

std::string import_error(const std::string& path) {
  try {
    import_onnx(path, 8);
  } catch (const ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << path;
  return {};
}

std::vector<std::string> kinds(const Task& t) {
  std::vector<std::string> out;
  for (const auto& layer : t.layers) out.push_back(layer.kind);
  return out;
}

TEST(OnnxImport, MapsNodesToLayersPerSample) {
  const Task t = import_onnx(fixture("small_cnn.onnx"), 32);
  EXPECT_EQ(t.id, "onnx/small_cnn/bs32");
  EXPECT_EQ(t.source, "onnx");
  EXPECT_EQ(t.family, "small");
  EXPECT_EQ(t.framework, "pytorch");
  EXPECT_EQ(t.batch_size, 32);
  EXPECT_EQ(t.input_shape, (std::vector<std::int64_t>{3, 16, 16}));
  ASSERT_GE(t.layers.size(), 8u);
  EXPECT_EQ(t.layers[0].kind, "Conv");
  EXPECT_EQ(t.layers[0].output_elements, 8 * 16 * 16);  // the symbolic batch dimension is dropped
  EXPECT_EQ(t.layers[0].params, 8 * 3 * 3 * 3);
  EXPECT_EQ(t.layers[1].kind, "BatchNormalization");
  EXPECT_EQ(t.layers[1].params, 16);  // scale and bias; running statistics are buffers
  EXPECT_EQ(t.layers[3].kind, "MaxPool");
  EXPECT_EQ(t.layers[3].output_elements, 8 * 8 * 8);
  EXPECT_EQ(t.layers.back().kind, "Gemm");
  EXPECT_EQ(t.layers.back().output_elements, 10);
  EXPECT_EQ(canonical_kind(t.layers.back().kind), LayerKind::linear);
  EXPECT_EQ(t.params, torch_params("small_cnn"));
}

TEST(OnnxImport, ParametersFromWeightShapesWithoutExportedParameters) {
  const Task with = import_onnx(fixture("small_cnn.onnx"), 4);
  const Task without = import_onnx(fixture("small_cnn_noparams.onnx"), 4);
  EXPECT_EQ(without.params, torch_params("small_cnn"));
  EXPECT_EQ(kinds(without), kinds(with));
  ASSERT_EQ(without.layers.size(), with.layers.size());
  for (std::size_t i = 0; i < with.layers.size(); ++i) {
    EXPECT_EQ(without.layers[i].output_elements, with.layers[i].output_elements) << i;
    EXPECT_EQ(without.layers[i].params, with.layers[i].params) << i;
  }
  EXPECT_EQ(without.input_shape, with.input_shape);
}

TEST(OnnxImport, DropsAFixedExportedBatchDimension) {
  const Task t = import_onnx(fixture("small_mlp_bs4.onnx"), 64);
  EXPECT_EQ(t.input_shape, (std::vector<std::int64_t>{32}));
  EXPECT_EQ(t.layers.front().kind, "Gemm");
  EXPECT_EQ(t.layers.front().output_elements, 64);
  EXPECT_EQ(t.layers.back().kind, "Softmax");
  EXPECT_EQ(t.layers.back().output_elements, 5);
  EXPECT_EQ(t.params, torch_params("small_mlp_bs4"));
}

TEST(OnnxImport, FoldsShapeArithmeticAndFindsTheBatchInsideHeads) {
  // Reshape targets computed from x.shape, an expanded class token, and attention scores of shape
  // [batch x heads, tokens, tokens]; nodes that only compute shapes are not layers.
  const Task t = import_onnx(fixture("tiny_attention.onnx"), 16);
  EXPECT_EQ(t.params, torch_params("tiny_attention"));
  for (const auto& layer : t.layers) {
    EXPECT_NE(layer.kind, "Shape");
    EXPECT_NE(layer.kind, "Constant");
  }
  const auto softmax =
      std::find_if(t.layers.begin(), t.layers.end(), [](const Layer& l) { return l.kind == "Softmax"; });
  ASSERT_NE(softmax, t.layers.end());
  EXPECT_EQ(softmax->output_elements, 2 * 65 * 65);  // 2 heads, 64 patches + the class token
  const auto expand =
      std::find_if(t.layers.begin(), t.layers.end(), [](const Layer& l) { return l.kind == "Expand"; });
  ASSERT_NE(expand, t.layers.end());
  EXPECT_EQ(expand->output_elements, 4);
  EXPECT_EQ(expand->params, 4);  // the class token
}

TEST(OnnxImport, CycleIsAnErrorNamingANode) {
  const std::string message = import_error(fixture("cyclic.onnx"));
  EXPECT_NE(message.find("cycle"), std::string::npos) << message;
  EXPECT_NE(message.find("node 'add_back' (Add)"), std::string::npos) << message;
}

TEST(OnnxImport, UnsupportedOperatorIsAnErrorNamingTheNode) {
  const std::string message = import_error(fixture("unsupported.onnx"));
  EXPECT_NE(message.find("node 'mystery_op' (Mystery)"), std::string::npos) << message;
}

TEST(OnnxImport, InputDimensionsOutsideRealSizesAreErrors) {
  std::string message = import_error(fixture("zero_dim.onnx"));
  EXPECT_NE(message.find("data input 'x': dimension 2 is 0 (must be 1.."), std::string::npos) << message;
  message = import_error(fixture("huge_dims.onnx"));
  EXPECT_NE(message.find("data input 'x': dimension 2 is 1099511627776"), std::string::npos) << message;
}

TEST(OnnxImport, WeightsTheirDataContradictsAreErrorsNamingThem) {
  std::string message = import_error(fixture("short_weight.onnx"));
  EXPECT_NE(message.find("initializer 'W'': 4 bytes of data for 4194304 elements"), std::string::npos)
      << message;
  message = import_error(fixture("outside_weight.onnx"));
  EXPECT_NE(message.find("external data '../../etc/passwd' is outside the model's folder"), std::string::npos)
      << message;
}

TEST(OnnxImport, NonOnnxAndTruncatedFilesAreClearErrors) {
  test::TempDir dir;
  const std::string text_path = dir.write("notes.onnx", "this is not a model\n");
  EXPECT_NE(import_error(text_path).find("not an ONNX model"), std::string::npos);

  std::ifstream in(fixture("small_cnn.onnx"), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string whole = bytes.str();
  const std::string cut_path = dir.write("cut.onnx", whole.substr(0, whole.size() / 2));
  const std::string message = import_error(cut_path);
  EXPECT_EQ(message.rfind(cut_path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("not an ONNX model"), std::string::npos) << message;

  EXPECT_THROW(import_onnx(dir.path("missing.onnx"), 8), ParseError);
  EXPECT_THROW(import_onnx(fixture("small_cnn.onnx"), 0), UsageError);
}

}  // namespace
}  // namespace gpuopt::memory
