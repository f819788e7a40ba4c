// tools/gpuopt-task-from-torch run with Debian's python3 (python3-torch, python3-torchvision).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "gpuopt/memory/task.hpp"
#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

const std::string kTool = std::string(GPUOPT_SOURCE_DIR) + "/tools/gpuopt-task-from-torch";
const std::string kFixtures = std::string(GPUOPT_SOURCE_DIR) + "/tests/fixtures/memory";

int run(const std::string& command) { return std::system(("OMP_WAIT_POLICY=passive " + command).c_str()); }

// The first line of a command's stdout.
std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::int64_t leaf_param_sum(const std::vector<Layer>& layers) {
  std::int64_t sum = 0;
  for (const auto& layer : layers) sum += layer.params;
  return sum;
}

TEST(TaskFromTorch, TorchvisionResnet18) {
  test::TempDir dir;
  const auto out = dir.path("resnet18.json");
  ASSERT_EQ(run(std::string(GPUOPT_PYTHON) + " " + kTool +
                " --torchvision resnet18 --batch-size 16 --optimizer adam" + " --out " + out),
            0);
  const auto tasks = read_tasks(out);
  ASSERT_EQ(tasks.size(), 1u);
  const Task& t = tasks[0];
  EXPECT_EQ(t.id, "torch/resnet18/bs16");
  EXPECT_EQ(t.batch_size, 16);
  EXPECT_EQ(t.optimizer, "adam");
  EXPECT_EQ(t.input_shape, (std::vector<std::int64_t>{3, 224, 224}));
  EXPECT_EQ(t.params, 11689512);  // torchvision's resnet18
  EXPECT_EQ(leaf_param_sum(t.layers), t.params);
  ASSERT_FALSE(t.layers.empty());
  EXPECT_EQ(t.layers[0].kind, "Conv2d");
  EXPECT_EQ(t.layers[0].output_elements, 64 * 112 * 112);
  EXPECT_EQ(t.layers.back().kind, "Linear");
  EXPECT_EQ(t.layers.back().output_elements, 1000);
}

TEST(TaskFromTorch, CustomModuleByImportPath) {
  test::TempDir dir;
  const auto out = dir.path("tiny.json");
  const std::string python = std::string(GPUOPT_PYTHON);
  ASSERT_EQ(run("cd " + kFixtures + " && " + python + " " + kTool +
                " custom_model:TinyNet --input-shape 24 --batch-size 4 --out " + out),
            0);
  const auto tasks = read_tasks(out);
  ASSERT_EQ(tasks.size(), 1u);
  const Task& t = tasks[0];
  const std::string counted = output_of("cd " + kFixtures + " && " + python +
                                        " -c 'import custom_model as m; "
                                        "print(sum(p.numel() for p in m.TinyNet().parameters()))'");
  EXPECT_EQ(std::to_string(t.params), counted);
  // The shared GELU is called twice; the block's own gamma appears only in layers_ext.
  EXPECT_EQ(t.layers.size(), 6u);
  EXPECT_EQ(leaf_param_sum(t.layers), t.params - 48);
  EXPECT_EQ(leaf_param_sum(t.layers_ext), t.params);
  ASSERT_EQ(t.layers_ext.size(), 7u);
  EXPECT_EQ(t.layers_ext[2].kind, "ScaledBlock");
  EXPECT_FALSE(t.layers_ext[2].leaf);
}

TEST(TaskFromTorch, BadArgumentsFail) {
  const std::string python = std::string(GPUOPT_PYTHON);
  EXPECT_NE(run(python + " " + kTool + " --torchvision resnet18 --batch-size 0 2>/dev/null"), 0);
  EXPECT_NE(run(python + " " + kTool + " --torchvision no_such_net --batch-size 2 2>/dev/null"), 0);
  EXPECT_NE(run(python + " " + kTool + " custom_model:TinyNet --batch-size 2 2>/dev/null"), 0);  // no shape
}

}  // namespace
}  // namespace gpuopt::memory
