// read_file_capped: whole files under the cap, a clear error past it (also for endless inputs).
#include "gpuopt/file_read.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gpuopt/error.hpp"

namespace gpuopt {
namespace {

namespace fs = std::filesystem;

TEST(ReadFileCapped, ReadsAFileUpToTheCap) {
  const fs::path path = fs::temp_directory_path() / ("gpuopt-file-read-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << std::string(100000, 'x');
  EXPECT_EQ(read_file_capped(path.string(), 100000, "a test file").size(), 100000U);
  try {
    read_file_capped(path.string(), 99999, "a test file");
    ADD_FAILURE() << "read past the cap";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.reason(), "larger than 0 MiB: not a test file?");
  }
  fs::remove(path);
}

TEST(ReadFileCapped, StopsAnEndlessInputAtTheCap) {
  EXPECT_THROW(read_file_capped("/dev/zero", kMiB, "a test file"), ParseError);
}

TEST(ReadFileCapped, NamesDirectoriesAndMissingFiles) {
  try {
    read_file_capped(fs::temp_directory_path().string(), kMiB, "a test file");
    ADD_FAILURE() << "read a directory";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.reason(), "is a directory, not a test file");
  }
  try {
    read_file_capped("/nonexistent/x", kMiB, "a test file");
    ADD_FAILURE() << "read a missing file";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.reason(), "cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace gpuopt
