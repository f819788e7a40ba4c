// Loading NVML: which file, symbol fallbacks of an old driver, a library missing a required
// symbol, nvmlInit failures and probe_nvml(), against the fake libnvidia-ml builds.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "fake_control.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {
namespace {

std::unique_ptr<TelemetrySource> open_nvml(const std::string& library) {
  SourceOptions options;
  options.nvml_library = library;
  return open_source("nvml", options);
}

std::string open_error(const std::string& library) {
  try {
    open_nvml(library);
  } catch (const NvmlError& e) {
    return e.what();
  }
  return "no error";
}

// Sets an environment variable for one test and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) {
      unsetenv(name_);
    } else {
      setenv(name_, old_.c_str(), 1);
    }
  }

 private:
  const char* name_;
  std::string old_;
};

TEST(NvmlLoading, LegacyLibraryFallsBackToOlderSymbols) {
  fake_nvml::FakeNvml fake(FAKE_NVML_LEGACY_PATH);
  fake.configure(R"({"cuda_driver_version": 11040,
                     "devices": [{"pci_bus_id": "00000000:65:00.0", "clocks_event_reasons": 4}]})");
  const auto source = open_nvml(FAKE_NVML_LEGACY_PATH);
  EXPECT_EQ(source->info().cuda_driver_version, "11.4");
  ASSERT_EQ(source->devices().size(), 1U);
  EXPECT_EQ(source->devices()[0].pci_bus_id, "00000000:65:00.0");

  const std::vector<Sample> samples = source->read(1000);
  ASSERT_EQ(samples.size(), 1U);
  const MetricValues& v = samples[0].values;
  EXPECT_EQ(v.get(Metric::throttle_reasons), 4.0) << "read through nvmlDeviceGetCurrentClocksThrottleReasons";
  EXPECT_FALSE(v.has(Metric::energy_mj)) << "symbol missing: absent, not 0";
  EXPECT_FALSE(v.has(Metric::fan_speed_pct));
  EXPECT_TRUE(v.has(Metric::power_w));
  EXPECT_TRUE(source->last_errors().empty());

  EXPECT_EQ(fake.calls("nvmlInit"), 1U);
  EXPECT_EQ(fake.calls("nvmlDeviceGetCount"), 1U);
  EXPECT_EQ(fake.calls("nvmlDeviceGetHandleByIndex"), 1U);
  EXPECT_EQ(fake.calls("nvmlDeviceGetPciInfo"), 1U);
  EXPECT_EQ(fake.calls("nvmlSystemGetCudaDriverVersion"), 1U);
  EXPECT_EQ(fake.calls("nvmlDeviceGetCurrentClocksThrottleReasons"), 1U);
}

TEST(NvmlLoading, MissingRequiredSymbolIsNamed) {
  EXPECT_EQ(open_error(FAKE_NVML_NO_UUID_PATH),
            std::string(FAKE_NVML_NO_UUID_PATH) +
                " lacks the required NVML function nvmlDeviceGetUUID (NVIDIA driver too old?)");
}

TEST(NvmlLoading, NonexistentLibraryIsNamed) {
  const std::string error = open_error("/nonexistent/libnvidia-ml.so.1");
  EXPECT_EQ(
      error.rfind("cannot load the NVML library given by --nvml-lib: /nonexistent/libnvidia-ml.so.1", 0), 0U)
      << error;
}

struct InitCase {
  const char* code;
  const char* message;
};

class NvmlInitFailure : public ::testing::TestWithParam<InitCase> {};

TEST_P(NvmlInitFailure, GivesOneClearLineAndNoShutdown) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(std::string(R"({"init": ")") + GetParam().code + R"("})");
  EXPECT_EQ(open_error(FAKE_NVML_PATH), GetParam().message);
  EXPECT_EQ(fake.calls("nvmlShutdown"), 0U) << "nvmlShutdown only after a successful nvmlInit";
}

INSTANTIATE_TEST_SUITE_P(
    Codes, NvmlInitFailure,
    ::testing::Values(
        InitCase{"DRIVER_NOT_LOADED",
                 "nvmlInit: NVIDIA driver not loaded (NVML_ERROR_DRIVER_NOT_LOADED): no NVIDIA GPU on this "
                 "machine?"},
        InitCase{"NO_PERMISSION",
                 "nvmlInit: permission denied (NVML_ERROR_NO_PERMISSION): run as a user that may open "
                 "/dev/nvidia* (e.g. root)"},
        InitCase{
            "LIB_RM_VERSION_MISMATCH",
            "nvmlInit: NVML library and kernel driver versions differ (NVML_ERROR_LIB_RM_VERSION_MISMATCH): "
            "reload the nvidia kernel module or reboot after a driver update"},
        InitCase{"TIMEOUT", "nvmlInit: Timeout (NVML_ERROR_TIMEOUT)"}),
    [](const ::testing::TestParamInfo<InitCase>& info) { return std::string(info.param.code); });

TEST(NvmlProbe, ReportsAWorkingLibrary) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"driver_version": "535.104.05", "nvml_version": "12.535.104.05",
                     "cuda_driver_version": 12020, "devices": [{}, {}]})");
  const NvmlProbe probe = probe_nvml(FAKE_NVML_PATH);
  EXPECT_TRUE(probe.available);
  EXPECT_EQ(probe.library, FAKE_NVML_PATH);
  EXPECT_EQ(probe.driver_version, "535.104.05");
  EXPECT_EQ(probe.message, std::string("NVML 12.535.104.05 (driver 535.104.05, CUDA 12.2) in ") +
                               FAKE_NVML_PATH + ": 2 GPUs");
  EXPECT_EQ(fake.calls("nvmlShutdown"), 1U);
}

TEST(NvmlProbe, LibraryWithoutGpusIsNotAvailable) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"devices": []})");
  const NvmlProbe probe = probe_nvml(FAKE_NVML_PATH);
  EXPECT_FALSE(probe.available);
  EXPECT_NE(probe.message.find(": 0 GPUs"), std::string::npos) << probe.message;
}

TEST(NvmlProbe, InitFailureNamesTheLibraryAndTheReason) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"init": "DRIVER_NOT_LOADED"})");
  const NvmlProbe probe = probe_nvml(FAKE_NVML_PATH);
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.library, FAKE_NVML_PATH);
  EXPECT_EQ(
      probe.message,
      "nvmlInit: NVIDIA driver not loaded (NVML_ERROR_DRIVER_NOT_LOADED): no NVIDIA GPU on this machine?");
}

TEST(NvmlProbe, NonexistentPathIsNotAvailable) {
  const NvmlProbe probe = probe_nvml("/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(probe.available);
  EXPECT_TRUE(probe.library.empty());
  EXPECT_NE(probe.message.find("/nonexistent/libnvidia-ml.so.1"), std::string::npos) << probe.message;
}

TEST(NvmlProbe, EnvironmentNamesTheLibraryUnlessAPathIsGiven) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"devices": [{}]})");
  const ScopedEnv env("GPUOPT_NVML_LIBRARY", FAKE_NVML_PATH);
  EXPECT_TRUE(probe_nvml().available);
  EXPECT_FALSE(probe_nvml("/nonexistent/libnvidia-ml.so.1").available) << "an explicit path wins";

  const ScopedEnv missing("GPUOPT_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const NvmlProbe probe = probe_nvml();
  EXPECT_FALSE(probe.available);
  EXPECT_NE(probe.message.find("$GPUOPT_NVML_LIBRARY"), std::string::npos) << probe.message;
}

TEST(NvmlSource, AutoPicksNvmlWhenTheLibraryWorks) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"devices": [{}]})");
  SourceOptions options;
  options.nvml_library = FAKE_NVML_PATH;
  std::string notice;
  const auto source = open_source("auto", options, &notice);
  EXPECT_EQ(source->info().name, "nvml");
  EXPECT_TRUE(notice.empty());
}

TEST(FakeNvmlConfig, FileNamedByTheEnvironmentIsReadAtInit) {
  const std::filesystem::path config =
      std::filesystem::temp_directory_path() / ("gpuopt_fake_nvml_" + std::to_string(getpid()) + ".json");
  std::ofstream(config) << R"({"devices": [{"name": "From File"}, {}]})";
  const fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  const ScopedEnv env("FAKE_NVML_CONFIG", config.string());
  const auto source = open_nvml(FAKE_NVML_PATH);
  std::filesystem::remove(config);
  ASSERT_EQ(source->devices().size(), 2U);
  EXPECT_EQ(source->devices()[0].name, "From File");
}

TEST(FakeNvmlConfig, RejectsUnknownKeys) {
  const fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  try {
    fake.configure(R"({"devices": [{"powr_usage_mw": 1}]})");
    FAIL() << "expected a rejected config";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "fake NVML config: devices[0].powr_usage_mw: unknown key");
  }
}

}  // namespace
}  // namespace gpuopt
