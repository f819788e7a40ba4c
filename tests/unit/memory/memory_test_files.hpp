// Helpers of the memory tests: a per-test temporary directory and small task builders.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gpuopt/memory/task.hpp"

namespace gpuopt::test {

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gpuopt-mem-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() { std::filesystem::remove_all(dir_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` byte for byte and returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

// A valid measured task line in the shared data's format.
inline std::string task_line(const std::string& id = "t/a/bs8") {
  return R"({"id":")" + id +
         R"(","source":"test","model":"resnet50d","framework":"pytorch","gpu":"A100","gpu_mem_mib":40960,)"
         R"("mode":"train","precision":"fp32","optimizer":null,"batch_size":8,"input_shape":[3,32,32],)"
         R"("params":1000,"layers":[["Conv2d",4096,900],["ReLU",4096,0],["Linear",10,100]],)"
         R"("peak_mem_mib":1700.5,"status":"ok","quality":"clean"})";
}

// A task to predict with the given layers [kind, output elements, params].
inline memory::Task make_task(std::vector<memory::Layer> layers, std::int64_t batch_size = 1) {
  memory::Task task;
  task.id = "test";
  task.batch_size = batch_size;
  for (const auto& layer : layers) task.params += layer.params;
  task.layers = std::move(layers);
  return task;
}

}  // namespace gpuopt::test
