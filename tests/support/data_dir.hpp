// Locating ../shared/data for tests labelled "data".
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace gpuopt::test {

// $GPUOPT_DATA_DIR, else ../shared/data beside the source checkout; nullopt if absent.
inline std::optional<std::filesystem::path> data_dir() {
  std::filesystem::path dir;
  if (const char* env = std::getenv("GPUOPT_DATA_DIR"); env && *env) {
    dir = env;
  } else {
    dir = std::filesystem::path(GPUOPT_SOURCE_DIR) / ".." / "shared" / "data";
  }
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return std::filesystem::canonical(dir);
}

inline bool data_required() {
  const char* env = std::getenv("GPUOPT_REQUIRE_DATA");
  return env && std::string(env) == "1";
}

}  // namespace gpuopt::test

// In a test body: binds `dir` to the data directory, or skips the test with a clear message
// (fails instead when GPUOPT_REQUIRE_DATA=1, as CI sets it).
#define GPUOPT_DATA_DIR_OR_SKIP(dir)                                                             \
  const auto dir##_opt = ::gpuopt::test::data_dir();                                             \
  if (!dir##_opt) {                                                                              \
    if (::gpuopt::test::data_required()) {                                                       \
      FAIL() << "GPUOPT_REQUIRE_DATA=1 but the data directory is missing (set GPUOPT_DATA_DIR)"; \
    }                                                                                            \
    GTEST_SKIP() << "measured data not found: set GPUOPT_DATA_DIR to ../shared/data";            \
  }                                                                                              \
  const std::filesystem::path dir = *dir##_opt
