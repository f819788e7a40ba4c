// A per-test temporary directory for small CSV fixtures written inline by the tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace gpuopt::test {

class TempFiles {
 public:
  TempFiles() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gpuopt-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name()) /
           "traces";
    std::filesystem::create_directories(dir_);
  }
  ~TempFiles() { std::filesystem::remove_all(dir_.parent_path()); }
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;

  // Writes `text` byte for byte (no newline added) and returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;  // ends in "traces", the <parent-dir> of trace device ids
};

}  // namespace gpuopt::test
