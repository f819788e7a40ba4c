#include "gpuopt/prometheus_import.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "http_server.hpp"
#include "server_test_util.hpp"

namespace gpuopt {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr EpochMs kFrom = 1'700'000'000'000;

double power_at(EpochMs t) { return 200.0 + static_cast<double>((t / 1000) % 50); }

json with_name(json labels, const std::string& name) {
  labels["__name__"] = name;
  return labels;
}

// A stand-in for Prometheus' /api/v1/query_range answering from a formula, recording requests.
class FakePrometheus {
 public:
  FakePrometheus() {
    router_.add("GET", "/prom/api/v1/query_range", "",
                [this](const server::HttpRequest& req) { return answer(req); });
    router_.add("GET", "/moved/api/v1/query_range", "", [](const server::HttpRequest&) {
      return server::HttpResponse{302, "text/plain", "", {{"Location", "http://prom.example:9090/"}}};
    });
    port_ = server_.bind("127.0.0.1", 0);
    server_.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/prom"; }
  std::vector<std::pair<EpochMs, EpochMs>> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  EpochMs fail_after_ms = 0;  // answer an error for chunks starting after this (0 = never)
  bool garbage = false;       // add GPU-aaaa utilization of 250 % and a power point an hour late

 private:
  server::HttpResponse answer(const server::HttpRequest& req) {
    const auto start = std::llround(std::stod(req.params.find("start")->second) * 1000);
    const auto end = std::llround(std::stod(req.params.find("end")->second) * 1000);
    const auto step = std::llround(std::stod(req.params.find("step")->second) * 1000);
    {
      const std::lock_guard lock(mutex_);
      requests_.emplace_back(start, end);
    }
    if (req.params.find("query")->second == "bad{" || (fail_after_ms && start > fail_after_ms)) {
      return server::json_response(400,
                                   R"({"status":"error","errorType":"bad_data","error":"1:5: parse error"})");
    }
    json power = json::array(), clock = json::array(), other = json::array(), xid = json::array();
    for (EpochMs t = start; t <= end; t += step) {
      const double ts = static_cast<double>(t) / 1000.0;
      power.push_back(json::array({ts, std::to_string(power_at(t))}));
      clock.push_back(json::array({ts, "1410"}));
      other.push_back(json::array({ts, "75"}));
      xid.push_back(json::array({ts, "0"}));
    }
    const json labels_a{
        {"gpu", "0"}, {"UUID", "GPU-aaaa"}, {"modelName", "NVIDIA A100"}, {"instance", "n1:9400"}};
    json result = json::array();
    result.push_back({{"metric", with_name(labels_a, "DCGM_FI_DEV_POWER_USAGE")}, {"values", power}});
    result.push_back({{"metric", with_name(labels_a, "gpuopt_graphics_clock_mhz")}, {"values", clock}});
    result.push_back(
        {{"metric", {{"__name__", "DCGM_FI_DEV_POWER_USAGE"}, {"gpu", "1"}, {"instance", "n2:9400"}}},
         {"values", other}});
    result.push_back({{"metric", with_name(labels_a, "DCGM_FI_DEV_XID_ERRORS")}, {"values", xid}});
    if (garbage) {
      json util = json::array();
      for (EpochMs t = start; t <= end; t += step)
        util.push_back(json::array({static_cast<double>(t) / 1000.0, "250"}));
      result.push_back({{"metric", with_name(labels_a, "DCGM_FI_DEV_GPU_UTIL")}, {"values", util}});
      result[0]["values"].push_back(json::array({static_cast<double>(end + 3'600'000) / 1000.0, "300"}));
    }
    const json body{{"status", "success"}, {"data", {{"resultType", "matrix"}, {"result", result}}}};
    return server::json_response(200, body.dump());
  }

  mutable std::mutex mutex_;
  std::vector<std::pair<EpochMs, EpochMs>> requests_;
  server::Router router_;
  server::HttpServer server_{router_, {}};
  int port_ = 0;
};

class PrometheusImport : public ::testing::Test {
 protected:
  PrometheusImportOptions options(EpochMs span_ms) const {
    PrometheusImportOptions o;
    o.url = prom_.url();
    o.query = R"({__name__=~"DCGM_FI_DEV_.*|gpuopt_.*"})";
    o.from_ms = kFrom;
    o.to_ms = kFrom + span_ms;
    o.step = 1s;
    o.timeout = 5s;
    return o;
  }

  FakePrometheus prom_;
  test::TempDir dir_;
  Store store_ = Store::open((dir_.path() / "s.db").string());
};

TEST_F(PrometheusImport, ChunksMapsAndStores) {
  std::vector<std::pair<int, int>> progress;
  const auto r = import_prometheus(store_, options(25'000'000),
                                   [&](int done, int total) { progress.emplace_back(done, total); });
  // 25001 points per series at 1 s: chunks of at most 11000 points.
  const auto requests = prom_.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0], (std::pair<EpochMs, EpochMs>{kFrom, kFrom + 10'999'000}));
  EXPECT_EQ(requests[1], (std::pair<EpochMs, EpochMs>{kFrom + 11'000'000, kFrom + 21'999'000}));
  EXPECT_EQ(requests[2], (std::pair<EpochMs, EpochMs>{kFrom + 22'000'000, kFrom + 25'000'000}));
  EXPECT_EQ(progress, (std::vector<std::pair<int, int>>{{1, 3}, {2, 3}, {3, 3}}));

  EXPECT_EQ(r.series, 4);
  EXPECT_EQ(r.series_skipped, 1);  // DCGM_FI_DEV_XID_ERRORS
  EXPECT_EQ(r.devices, 2);
  EXPECT_EQ(r.samples, 2 * 25'001);

  const StoredDevice a = store_.find_device("GPU-aaaa");
  EXPECT_EQ(a.info.name, "NVIDIA A100");
  EXPECT_EQ(a.origin, "prometheus:" + prom_.url());
  EXPECT_EQ(a.sample_count, 25'001);
  const auto power = store_.query(SeriesQuery{a.id, Metric::power_w, kFrom, kFrom + 25'000'001});
  ASSERT_EQ(power.size(), 25'001U);
  for (const Point& p : power) ASSERT_EQ(p.value, power_at(p.time_ms)) << p.time_ms;
  const auto clock = store_.query(SeriesQuery{a.id, Metric::graphics_clock_mhz, kFrom, kFrom + 1000});
  ASSERT_EQ(clock.size(), 1U);
  EXPECT_EQ(clock[0].value, 1410);

  const StoredDevice b = store_.find_device("n2:9400:gpu1");
  const auto other = store_.query(SeriesQuery{b.id, Metric::power_w, kFrom, kFrom + 25'000'001});
  ASSERT_EQ(other.size(), 25'001U);
  EXPECT_EQ(other.back().value, 75);
}

TEST_F(PrometheusImport, PrometheusErrorNamesUrlAndMessage) {
  auto o = options(10'000);
  o.query = "bad{";
  try {
    import_prometheus(store_, o);
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(prom_.url()), std::string::npos) << what;
    EXPECT_NE(what.find("1:5: parse error"), std::string::npos) << what;
  }
  EXPECT_TRUE(store_.devices().empty());
}

TEST_F(PrometheusImport, FailedChunkWritesNothingOfItsOwn) {
  prom_.fail_after_ms = kFrom;
  try {
    import_prometheus(store_, options(15'000'000));
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    // Says what stays stored (it used to say only the HTTP error).
    EXPECT_NE(std::string(e.what()).find("the 22000 samples stored before it stay"), std::string::npos)
        << e.what();
  }
  // The first chunk (11000 points per device) was stored; the failed second one was not.
  EXPECT_EQ(store_.find_device("GPU-aaaa").sample_count, 11'000);
}

// Values the CSV importer would refuse are not stored: impossible for a GPU, or outside the
// asked time range. They used to be stored as they came.
TEST_F(PrometheusImport, ImpossibleValuesAndTimesOutsideTheRangeAreSkipped) {
  prom_.garbage = true;
  const auto r = import_prometheus(store_, options(9'000));
  EXPECT_EQ(r.values_skipped, 10 + 1);
  const StoredDevice a = store_.find_device("GPU-aaaa");
  EXPECT_TRUE(store_.query(SeriesQuery{a.id, Metric::gpu_util_pct, kFrom, kFrom + 10'000'000}).empty());
  EXPECT_EQ(store_.query(SeriesQuery{a.id, Metric::power_w, kFrom, kFrom + 10'000'000}).size(), 10U);
  EXPECT_EQ(a.sample_count, 10);
}

TEST(PlausibleValue, CatchesWrongUnitsAndSentinels) {
  EXPECT_TRUE(plausible_value(Metric::gpu_util_pct, 100));
  EXPECT_FALSE(plausible_value(Metric::gpu_util_pct, 250));
  EXPECT_FALSE(plausible_value(Metric::temperature_c, 4294967295.0));
  EXPECT_FALSE(plausible_value(Metric::power_w, -50));
  EXPECT_FALSE(plausible_value(Metric::power_w, 250000));  // mW under a W name
  EXPECT_FALSE(plausible_value(Metric::sm_clock_mhz, std::nan("")));
  EXPECT_TRUE(plausible_value(Metric::energy_mj, 1e15));
}

// A redirect is not followed; the error says where to (it used to show an empty reason).
TEST_F(PrometheusImport, ARedirectNamesItsTarget) {
  auto o = options(1000);
  o.url.replace(o.url.find("/prom"), 5, "/moved");
  try {
    import_prometheus(store_, o);
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 302: redirected to http://prom.example:9090/"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(PrometheusImport, BadOptions) {
  auto o = options(1000);
  o.url = "https://prom";
  EXPECT_THROW(import_prometheus(store_, o), UsageError);
  o = options(1000);
  o.step = 0s;
  EXPECT_THROW(import_prometheus(store_, o), UsageError);
  o = options(1000);
  o.to_ms = o.from_ms - 1;
  EXPECT_THROW(import_prometheus(store_, o), UsageError);
}

}  // namespace
}  // namespace gpuopt
