// The "nvml" source end to end against the fake libnvidia-ml (current-driver build): device
// info, every metric and its unit conversion, and what each kind of NVML failure turns into.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fake_control.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {
namespace {

constexpr EpochMs kNow = 1753575747858;

class NvmlSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<TelemetrySource> open(const std::string& config) {
    fake_.configure(config);
    SourceOptions options;
    options.nvml_library = FAKE_NVML_PATH;
    return open_source("nvml", options);
  }

  // One read that must return exactly one sample.
  static MetricValues read_one(TelemetrySource& source) {
    const std::vector<Sample> samples = source.read(kNow);
    EXPECT_EQ(samples.size(), 1U);
    return samples.empty() ? MetricValues{} : samples.front().values;
  }

  fake_nvml::FakeNvml fake_{FAKE_NVML_PATH};
};

TEST_F(NvmlSourceTest, ReportsVersionsAndDeviceInfo) {
  const auto source = open(R"({
    "driver_version": "550.54.15", "nvml_version": "12.550.54.15", "cuda_driver_version": 12040,
    "devices": [
      {"name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-11111111-2222-3333-4444-555555555555",
       "pci_bus_id": "00000000:3B:00.0", "memory_total_bytes": 85520809984,
       "default_power_limit_mw": 700000, "power_limit_min_mw": 200000, "power_limit_max_mw": 700000,
       "max_clock_sm_mhz": 1980, "max_clock_mem_mhz": 2619, "max_clock_graphics_mhz": 1980},
      {"name": "NVIDIA A10", "pci_bus_id": "00000001:AF:1F.0"}
    ]})");
  EXPECT_EQ(source->info().name, "nvml");
  EXPECT_FALSE(source->info().simulated);
  EXPECT_EQ(source->info().driver_version, "550.54.15");
  EXPECT_EQ(source->info().nvml_version, "12.550.54.15");
  EXPECT_EQ(source->info().cuda_driver_version, "12.4");

  const auto& devices = source->devices();
  ASSERT_EQ(devices.size(), 2U);
  const DeviceInfo& h100 = devices[0];
  EXPECT_EQ(h100.index, 0);
  EXPECT_EQ(h100.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(h100.uuid, "GPU-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(h100.pci_bus_id, "00000000:3B:00.0");
  EXPECT_EQ(h100.mem_total_mib, 81559.0);
  EXPECT_EQ(h100.power_limit_default_w, 700.0);
  EXPECT_EQ(h100.power_limit_min_w, 200.0);
  EXPECT_EQ(h100.power_limit_max_w, 700.0);
  EXPECT_EQ(h100.sm_clock_max_mhz, 1980.0);
  EXPECT_EQ(h100.mem_clock_max_mhz, 2619.0);
  EXPECT_EQ(h100.graphics_clock_max_mhz, 1980.0);
  EXPECT_FALSE(h100.simulated);
  EXPECT_EQ(devices[1].index, 1);
  EXPECT_EQ(devices[1].name, "NVIDIA A10");
  EXPECT_EQ(devices[1].pci_bus_id, "00000001:AF:1F.0");
  EXPECT_NE(devices[1].uuid, h100.uuid);
}

TEST_F(NvmlSourceTest, ReadsEveryMetricInCanonicalUnits) {
  const auto source = open(R"({"devices": [{
    "utilization_gpu": 87, "utilization_memory": 45,
    "memory_total_bytes": 42949672960, "memory_used_bytes": 10737942528,
    "temperature_c": 71, "power_usage_mw": 254321, "enforced_power_limit_mw": 300000,
    "clock_sm_mhz": 1305, "clock_mem_mhz": 1215, "clock_graphics_mhz": 1290,
    "clocks_event_reasons": 68, "total_energy_mj": 123456789012, "performance_state": 2,
    "fan_speed_pct": 55}]})");
  const std::vector<Sample> samples = source->read(kNow);
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_EQ(samples[0].gpu, 0);
  EXPECT_EQ(samples[0].time_ms, kNow);
  const MetricValues& v = samples[0].values;
  EXPECT_EQ(v.valid_mask(), (1U << kMetricCount) - 1) << "every metric present";
  EXPECT_EQ(v.get(Metric::gpu_util_pct), 87.0);
  EXPECT_EQ(v.get(Metric::mem_util_pct), 45.0);
  EXPECT_EQ(v.get(Metric::mem_total_mib), 40960.0);
  EXPECT_EQ(v.get(Metric::mem_used_mib), 10240.5);
  EXPECT_EQ(v.get(Metric::mem_free_mib), 30719.5);
  EXPECT_EQ(v.get(Metric::temperature_c), 71.0);
  EXPECT_DOUBLE_EQ(*v.get(Metric::power_w), 254.321);
  EXPECT_EQ(v.get(Metric::power_limit_w), 300.0);
  EXPECT_EQ(v.get(Metric::sm_clock_mhz), 1305.0);
  EXPECT_EQ(v.get(Metric::mem_clock_mhz), 1215.0);
  EXPECT_EQ(v.get(Metric::graphics_clock_mhz), 1290.0);
  EXPECT_EQ(v.get(Metric::throttle_reasons), 68.0);  // sw_power_cap | hw_thermal_slowdown
  EXPECT_EQ(v.get(Metric::energy_mj), 123456789012.0);
  EXPECT_EQ(v.get(Metric::pstate), 2.0);
  EXPECT_EQ(v.get(Metric::fan_speed_pct), 55.0);
  EXPECT_TRUE(source->last_errors().empty());
}

TEST_F(NvmlSourceTest, PrefersVersionedSymbolsAndShutsDownOnDestruction) {
  auto source = open(R"({"devices": [{}]})");
  source->read(kNow);
  EXPECT_EQ(fake_.calls("nvmlInit_v2"), 1U);
  EXPECT_EQ(fake_.calls("nvmlInit"), 0U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetCount_v2"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetHandleByIndex_v2"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetPciInfo_v3"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetCurrentClocksEventReasons"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetCurrentClocksThrottleReasons"), 0U);
  EXPECT_EQ(fake_.calls("nvmlShutdown"), 0U);
  source.reset();
  EXPECT_EQ(fake_.calls("nvmlShutdown"), 1U);
}

TEST_F(NvmlSourceTest, EnergyCounterAdvancesBetweenReads) {
  const auto source = open(R"({"devices": [{"total_energy_mj": 5000000, "energy_step_mj": 2500}]})");
  const double first = *read_one(*source).get(Metric::energy_mj);
  const double second = *read_one(*source).get(Metric::energy_mj);
  EXPECT_EQ(first, 5000000.0);
  EXPECT_EQ(second - first, 2500.0);
}

TEST_F(NvmlSourceTest, NotSupportedIsAbsentAndNotAskedAgain) {
  const auto source = open(R"({"devices": [{
    "utilization_gpu": "NOT_SUPPORTED", "fan_speed_pct": "NVML_ERROR_NOT_SUPPORTED",
    "total_energy_mj": "NOT_SUPPORTED", "default_power_limit_mw": "NOT_SUPPORTED",
    "max_clock_mem_mhz": "NOT_SUPPORTED"}]})");
  EXPECT_FALSE(source->devices()[0].power_limit_default_w.has_value());
  EXPECT_FALSE(source->devices()[0].mem_clock_max_mhz.has_value());
  EXPECT_TRUE(source->devices()[0].sm_clock_max_mhz.has_value());
  for (int round = 0; round < 3; ++round) {
    const MetricValues v = read_one(*source);
    EXPECT_FALSE(v.has(Metric::gpu_util_pct));
    EXPECT_FALSE(v.has(Metric::mem_util_pct)) << "one NVML call reports both utilizations";
    EXPECT_FALSE(v.has(Metric::fan_speed_pct));
    EXPECT_FALSE(v.has(Metric::energy_mj));
    EXPECT_TRUE(v.has(Metric::power_w));
    EXPECT_TRUE(source->last_errors().empty()) << "not supported is not an error";
  }
  EXPECT_EQ(fake_.calls("nvmlDeviceGetFanSpeed"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetUtilizationRates"), 1U);
  EXPECT_EQ(fake_.calls("nvmlDeviceGetPowerUsage"), 3U);
}

TEST_F(NvmlSourceTest, UnknownPerformanceStateIsAbsent) {
  const auto source = open(R"({"devices": [{"performance_state": 32}]})");
  EXPECT_FALSE(read_one(*source).has(Metric::pstate));
}

TEST_F(NvmlSourceTest, ImpossibleReadingsAreAbsentAndReported) {
  const auto source = open(R"({"devices": [{"uuid": "GPU-aaaa", "utilization_gpu": 4294967295,
                                            "temperature_c": 250, "power_usage_mw": 4294967295}]})");
  const MetricValues v = read_one(*source);
  EXPECT_FALSE(v.has(Metric::gpu_util_pct));
  EXPECT_FALSE(v.has(Metric::temperature_c));
  EXPECT_FALSE(v.has(Metric::power_w));
  EXPECT_EQ(v.get(Metric::mem_util_pct), 40.0);
  EXPECT_EQ(v.get(Metric::power_limit_w), 400.0);
  ASSERT_EQ(source->last_errors().size(), 3U);
  EXPECT_EQ(source->last_errors()[0],
            "GPU 0 (GPU-aaaa): nvmlDeviceGetUtilizationRates: gpu_util_pct 4294967295 % is impossible "
            "(at most 100 %); ignored");
  EXPECT_EQ(source->last_errors()[1],
            "GPU 0 (GPU-aaaa): nvmlDeviceGetTemperature: temperature_c 250 C is impossible (at most 200 C); "
            "ignored");
}

TEST_F(NvmlSourceTest, FailedCallLeavesMetricAbsentForThatRoundOnly) {
  const auto source = open(R"({"devices": [{"uuid": "GPU-aaaa", "power_usage_mw": "UNKNOWN"}]})");
  const MetricValues v = read_one(*source);
  EXPECT_FALSE(v.has(Metric::power_w));
  EXPECT_TRUE(v.has(Metric::temperature_c));
  ASSERT_EQ(source->last_errors().size(), 1U);
  EXPECT_EQ(source->last_errors()[0],
            "GPU 0 (GPU-aaaa): nvmlDeviceGetPowerUsage: Unknown Error (NVML_ERROR_UNKNOWN)");

  fake_.configure(R"({"devices": [{"uuid": "GPU-aaaa", "power_usage_mw": 100000}]})");
  EXPECT_EQ(read_one(*source).get(Metric::power_w), 100.0);
  EXPECT_TRUE(source->last_errors().empty());
}

TEST_F(NvmlSourceTest, LostGpuIsLeftOutOfTheRoundAndReported) {
  const std::string healthy = R"({"devices": [{}, {"uuid": "GPU-bbbb"}, {}]})";
  const auto source = open(healthy);
  EXPECT_EQ(source->read(kNow).size(), 3U);

  fake_.configure(R"({"devices": [{}, {"uuid": "GPU-bbbb", "lost": true}, {}]})");
  const std::vector<Sample> samples = source->read(kNow);
  ASSERT_EQ(samples.size(), 2U);
  EXPECT_EQ(samples[0].gpu, 0);
  EXPECT_EQ(samples[1].gpu, 2);
  ASSERT_EQ(source->last_errors().size(), 1U);
  EXPECT_EQ(source->last_errors()[0],
            "GPU 1 (GPU-bbbb): GPU is lost (NVML_ERROR_GPU_IS_LOST): check `nvidia-smi`/dmesg");
  EXPECT_EQ(source->devices().size(), 3U) << "the device list is stable";
}

TEST_F(NvmlSourceTest, GpuLostAtStartKeepsTheOthersIndices) {
  const auto source = open(R"({"devices": [{}, {"lost": true}, {}]})");
  ASSERT_EQ(source->devices().size(), 2U);
  EXPECT_EQ(source->devices()[0].index, 0);
  EXPECT_EQ(source->devices()[1].index, 2);
  const std::vector<Sample> samples = source->read(kNow);
  ASSERT_EQ(samples.size(), 2U);
  EXPECT_EQ(samples[1].gpu, 1) << "a sample names its device by position in devices(), as the sinks read it";
  ASSERT_EQ(source->last_errors().size(), 1U);
  EXPECT_EQ(source->last_errors()[0],
            "GPU 1: GPU is lost (NVML_ERROR_GPU_IS_LOST): check `nvidia-smi`/dmesg");
}

TEST_F(NvmlSourceTest, DriverFailureDuringReadThrowsNvmlError) {
  const auto source = open(R"({"devices": [{"uuid": "GPU-cccc"}]})");
  fake_.configure(R"({"devices": [{"uuid": "GPU-cccc", "temperature_c": "NO_PERMISSION"}]})");
  try {
    source->read(kNow);
    FAIL() << "expected NvmlError";
  } catch (const NvmlError& e) {
    EXPECT_STREQ(e.what(),
                 "GPU 0 (GPU-cccc): nvmlDeviceGetTemperature: permission denied (NVML_ERROR_NO_PERMISSION): "
                 "run as a user that may open /dev/nvidia* (e.g. root)");
  }
}

TEST_F(NvmlSourceTest, NoGpusGiveAnEmptySource) {
  const auto source = open(R"({"devices": []})");
  EXPECT_TRUE(source->devices().empty());
  EXPECT_TRUE(source->read(kNow).empty());
  EXPECT_TRUE(source->last_errors().empty());
}

}  // namespace
}  // namespace gpuopt
