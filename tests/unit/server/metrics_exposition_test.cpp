#include "metrics_exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace gpuopt::server {
namespace {

DeviceInfo device(int index, std::string uuid, std::string name) {
  DeviceInfo d;
  d.index = index;
  d.uuid = std::move(uuid);
  d.name = std::move(name);
  return d;
}

LiveSnapshot two_gpu_snapshot() {
  LiveSnapshot snap;
  snap.now_ms = 1'700'000'010'000;
  snap.hostname = "node-1";
  snap.source.name = "nvml";
  snap.source.driver_version = "535.104.05";
  snap.devices = {device(0, "GPU-aaaa", "NVIDIA A100-SXM4-40GB"),
                  device(1, "GPU-bbbb", "NVIDIA A100-SXM4-40GB")};
  snap.devices[0].power_limit_max_w = 400;
  Sample s0{0, 1'700'000'009'000, {}};
  s0.values.set(Metric::power_w, 251.5);
  s0.values.set(Metric::gpu_util_pct, 97);
  s0.values.set(Metric::energy_mj, 123456789);
  s0.values.set(Metric::graphics_clock_mhz, 1410);
  Sample s1{1, 1'700'000'009'000, {}};
  s1.values.set(Metric::power_w, 60);
  snap.latest = {{0, s0}, {1, s1}};
  snap.stats.started_ms = 1'700'000'000'000;
  snap.stats.sampler = SamplerState::running;
  snap.stats.samples_total = 20;
  snap.stats.rounds_total = 10;
  snap.stats.read_errors_total = 2;
  snap.stats.last_read_s = 0.0015;
  snap.stats.last_round_ms = 1'700'000'009'000;
  snap.stats.http_requests = {{"/metrics", 3}, {"other", 1}};
  return snap;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricsExposition, DcgmNamesAndLabels) {
  const std::string out = render_metrics(two_gpu_snapshot());
  EXPECT_TRUE(contains(out,
                       "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-aaaa\",device=\"nvidia0\","
                       "modelName=\"NVIDIA A100-SXM4-40GB\",Hostname=\"node-1\"} 251.5\n"))
      << out;
  EXPECT_TRUE(contains(out, "DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-bbbb\",device=\"nvidia1\","));
  EXPECT_TRUE(contains(
      out, "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n"));
  EXPECT_TRUE(contains(out, "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\""));
}

TEST(MetricsExposition, EnergyIsACounter) {
  const std::string out = render_metrics(two_gpu_snapshot());
  EXPECT_TRUE(contains(out, "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n"));
  EXPECT_TRUE(contains(out, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\"")) << out;
  EXPECT_TRUE(contains(out, "} 123456789\n"));
}

TEST(MetricsExposition, AbsentMetricsAreNotEmitted) {
  const std::string out = render_metrics(two_gpu_snapshot());
  EXPECT_FALSE(contains(out, "DCGM_FI_DEV_GPU_TEMP"));
  EXPECT_FALSE(contains(out, "DCGM_FI_DEV_FAN_SPEED"));
  // GPU 1 has no utilization: only GPU 0's line.
  EXPECT_FALSE(contains(out, "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\""));
  EXPECT_FALSE(contains(out, "gpuopt_power_limit_min_watts"));
  EXPECT_FALSE(contains(out, "gpuopt_power_limit_max_watts{gpu=\"1\""));
}

TEST(MetricsExposition, OwnNamesForMetricsDcgmLacks) {
  const std::string out = render_metrics(two_gpu_snapshot());
  EXPECT_TRUE(contains(out, "# TYPE gpuopt_graphics_clock_mhz gauge\n"));
  EXPECT_TRUE(contains(out, "gpuopt_graphics_clock_mhz{gpu=\"0\",UUID=\"GPU-aaaa\""));
  EXPECT_TRUE(contains(out,
                       "gpuopt_power_limit_max_watts{gpu=\"0\",UUID=\"GPU-aaaa\",device=\"nvidia0\","
                       "modelName=\"NVIDIA A100-SXM4-40GB\",Hostname=\"node-1\"} 400\n"));
}

TEST(MetricsExposition, SelfMetrics) {
  const std::string out = render_metrics(two_gpu_snapshot());
  EXPECT_TRUE(contains(out, "gpuopt_build_info{version=\""));
  EXPECT_TRUE(
      contains(out, "gpuopt_source_info{source=\"nvml\",simulated=\"false\",driver_version=\"535.104.05\""));
  EXPECT_TRUE(contains(out, "# TYPE gpuopt_samples_total counter\ngpuopt_samples_total 20\n"));
  EXPECT_TRUE(contains(out, "gpuopt_read_errors_total 2\n"));
  EXPECT_TRUE(contains(out, "gpuopt_last_read_seconds 0.0015\n"));
  EXPECT_TRUE(contains(out, "gpuopt_uptime_seconds 10\n"));
  EXPECT_TRUE(contains(out, "gpuopt_sampler_up 1\n"));
  EXPECT_TRUE(contains(out, "gpuopt_http_requests_total{path=\"/metrics\"} 3\n"));
  EXPECT_TRUE(contains(out, "gpuopt_http_requests_total{path=\"other\"} 1\n"));
}

TEST(MetricsExposition, SimulatedSourceIsMarked) {
  LiveSnapshot snap = two_gpu_snapshot();
  snap.source.name = "sim";
  snap.source.simulated = true;
  snap.devices[0].simulated = true;
  const std::string out = render_metrics(snap);
  EXPECT_TRUE(contains(out, "gpuopt_source_info{source=\"sim\",simulated=\"true\""));
  EXPECT_TRUE(contains(out,
                       "gpuopt_device_info{gpu=\"0\",UUID=\"GPU-aaaa\",device=\"nvidia0\","
                       "modelName=\"NVIDIA A100-SXM4-40GB\",Hostname=\"node-1\",pci_bus_id=\"\","
                       "simulated=\"true\"} 1\n"));
}

TEST(MetricsExposition, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\nd"),
            R"(a\\b\"c\nd)");
  LiveSnapshot snap = two_gpu_snapshot();
  snap.devices[0].name = "Evil \"GPU\"\n\\";
  const std::string out = render_metrics(snap);
  EXPECT_TRUE(contains(out, R"(modelName="Evil \"GPU\"\n\\")")) << out;
}

TEST(MetricsExposition, SampleValues) {
  EXPECT_EQ(format_sample_value(42), "42");
  EXPECT_EQ(format_sample_value(0.25), "0.25");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

// Every line is a comment or a well-formed sample; each family's HELP and TYPE come once and
// before its samples.
TEST(MetricsExposition, WellFormedTextFormat) {
  const std::string out = render_metrics(two_gpu_snapshot());
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter))");
  const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (NaN|[+-]Inf|-?[0-9.e+-]+))");
  std::set<std::string> typed;
  std::istringstream lines(out);
  std::string line;
  std::string current;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(typed.insert(m[1]).second) << "family twice: " << m[1];
      current = m[1];
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], current);
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "bad line: " << line;
      EXPECT_EQ(m[1], current) << "sample outside its family: " << line;
    }
  }
}

TEST(MetricsExposition, EmptySnapshotHasOnlySelfMetrics) {
  LiveSnapshot snap;
  const std::string out = render_metrics(snap);
  EXPECT_FALSE(contains(out, "DCGM_"));
  EXPECT_FALSE(contains(out, "gpuopt_device_info"));
  EXPECT_TRUE(contains(out, "gpuopt_sampler_up 0\n"));
  EXPECT_FALSE(contains(out, "gpuopt_last_read_seconds"));
}

}  // namespace
}  // namespace gpuopt::server
