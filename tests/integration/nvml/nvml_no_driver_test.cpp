// Without any NVIDIA library on the loader's path (as on this project's CI machines), NVML is
// reported as missing in one plain line. Skipped where a driver's library is installed. Kept in
// its own executable: a fake loaded earlier in the process would answer to its soname.
#include <gtest/gtest.h>

#include <cstdlib>

#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {
namespace {

constexpr const char* kNotFound = "libnvidia-ml.so.1 not found (no NVIDIA driver installed)";

TEST(NvmlNoDriver, ProbeAndSourceSayTheDriverIsMissing) {
  unsetenv("GPUOPT_NVML_LIBRARY");
  const NvmlProbe probe = probe_nvml();
  if (!probe.library.empty()) GTEST_SKIP() << "an NVML library is installed here: " << probe.library;
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message, kNotFound);
  try {
    open_source("nvml", SourceOptions{});
    FAIL() << "expected NvmlError";
  } catch (const NvmlError& e) {
    EXPECT_STREQ(e.what(), kNotFound);
  }
}

}  // namespace
}  // namespace gpuopt
