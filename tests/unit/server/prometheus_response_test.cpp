#include "prometheus_response.hpp"

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"

namespace gpuopt::server {
namespace {

TEST(PrometheusAnswer, ParsesMatrixAndDropsNonFiniteValues) {
  const std::string body = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"DCGM_FI_DEV_POWER_USAGE","gpu":"1","UUID":"GPU-x","modelName":"NVIDIA H100"},
     "values":[[1700000000.5,"250.25"],[1700000001,"NaN"],[1700000002,"+Inf"],[1700000003,"-Inf"],[1700000004,"1e3"]]}]}})";
  const auto series = parse_prometheus_answer(body, "http://p/api/v1/query_range");
  ASSERT_EQ(series.size(), 1U);
  EXPECT_EQ(series[0].labels.at("UUID"), "GPU-x");
  ASSERT_EQ(series[0].points.size(), 2U);
  EXPECT_EQ(series[0].points[0], (std::pair<EpochMs, double>{1'700'000'000'500, 250.25}));
  EXPECT_EQ(series[0].points[1], (std::pair<EpochMs, double>{1'700'000'004'000, 1000}));
}

TEST(PrometheusAnswer, ParsesVector) {
  const std::string body = R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"__name__":"up"},"value":[1700000000,"1"]}]}})";
  const auto series = parse_prometheus_answer(body, "w");
  ASSERT_EQ(series.size(), 1U);
  EXPECT_EQ(series[0].points.at(0).second, 1);
}

TEST(PrometheusAnswer, ErrorAnswerCarriesPrometheusMessage) {
  const std::string body =
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 3: unexpected"})";
  try {
    parse_prometheus_answer(body, "http://prom:9090/api/v1/query_range");
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    EXPECT_EQ(std::string(e.what()),
              "http://prom:9090/api/v1/query_range: Prometheus bad_data: parse error at char 3: unexpected");
  }
}

TEST(PrometheusAnswer, MalformedAnswersThrowRemoteError) {
  for (
      const char* body :
      {"", "<html>", "[]", R"({"status":"success"})",
       R"({"status":"success","data":{"resultType":"scalar","result":[]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[]}]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"abc"]]}]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x","1"]]}]}})",
       // 1e300 s overflowed into a negative year; -1 is before 1970
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"]]}]}})",
       R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[-1,"1"]]}]}})"}) {
    EXPECT_THROW(parse_prometheus_answer(body, "w"), RemoteError) << body;
  }
}

TEST(PrometheusSeries, NamesMapBackToMetrics) {
  EXPECT_EQ(metric_from_series_name("DCGM_FI_DEV_POWER_USAGE"), Metric::power_w);
  EXPECT_EQ(metric_from_series_name("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"), Metric::energy_mj);
  EXPECT_EQ(metric_from_series_name("DCGM_FI_DEV_FB_USED"), Metric::mem_used_mib);
  EXPECT_EQ(metric_from_series_name("gpuopt_graphics_clock_mhz"), Metric::graphics_clock_mhz);
  EXPECT_EQ(metric_from_series_name("gpuopt_power_w"), Metric::power_w);
  EXPECT_FALSE(metric_from_series_name("gpuopt_samples_total"));
  EXPECT_FALSE(metric_from_series_name("DCGM_FI_DEV_MEMORY_TEMP"));
  EXPECT_FALSE(metric_from_series_name("power_w"));
}

TEST(PrometheusSeries, DeviceIdentity) {
  DeviceInfo d = device_from_labels(
      {{"UUID", "GPU-1"}, {"gpu", "3"}, {"modelName", "NVIDIA A10"}, {"instance", "n:9400"}});
  EXPECT_EQ(d.uuid, "GPU-1");
  EXPECT_EQ(d.index, 3);
  EXPECT_EQ(d.name, "NVIDIA A10");
  d = device_from_labels({{"gpu", "2"}, {"instance", "node7:9400"}});
  EXPECT_EQ(d.uuid, "node7:9400:gpu2");
  EXPECT_EQ(d.index, 2);
  d = device_from_labels({{"gpu", "x"}});
  EXPECT_EQ(d.index, 0);
  EXPECT_EQ(d.uuid, "unknown:gpux");
}

}  // namespace
}  // namespace gpuopt::server
