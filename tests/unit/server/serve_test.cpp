#include "gpuopt/server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/time.hpp"
#include "http_client.hpp"
#include "http_server.hpp"
#include "serve_thread.hpp"
#include "server_test_util.hpp"

namespace gpuopt {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using test::ServeThread;

ServeOptions test_options(const std::string& store_path) {
  ServeOptions o;
  o.port = 0;
  o.store_path = store_path;
  o.sampler.interval = 50ms;
  o.sampler.flush_every = 100ms;
  o.hostname = "test-host";
  return o;
}

TEST(Serve, SimulatedGpusEndToEnd) {
  test::TempDir dir;
  const std::string db = (dir.path() / "serve.db").string();
  const auto source = open_source("sim:2", SourceOptions{});
  {
    ServeThread serve(*source, test_options(db));
    const auto health = serve.wait_for("/healthz", 200);
    ASSERT_EQ(health.status, 200) << health.body;
    EXPECT_EQ(json::parse(health.body)["status"], "ok");

    const auto metrics = serve.get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(metrics.body.find("DCGM_FI_DEV_POWER_USAGE{gpu=\"1\""), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("Hostname=\"test-host\""), std::string::npos);
    EXPECT_NE(metrics.body.find("gpuopt_source_info{source=\"sim\",simulated=\"true\""), std::string::npos);
    EXPECT_NE(metrics.body.find("gpuopt_last_read_seconds "), std::string::npos);

    const json devices = json::parse(serve.get("/api/v1/devices").body);
    ASSERT_EQ(devices["devices"].size(), 2U);
    EXPECT_TRUE(devices["devices"][1]["latest"].contains("power_w"));

    std::this_thread::sleep_for(300ms);  // past a store flush
    const auto samples = serve.get("/api/v1/samples", {{"gpu", "1"}, {"metric", "power"}, {"from", "-1m"}});
    ASSERT_EQ(samples.status, 200) << samples.body;
    EXPECT_FALSE(json::parse(samples.body)["points"].empty());

    const auto index = serve.get("/");
    EXPECT_NE(index.body.find("/api/v1/samples"), std::string::npos);
    EXPECT_NE(serve.get("/metrics").body.find("gpuopt_http_requests_total{path=\"/healthz\"}"),
              std::string::npos);
  }
  // Stopping flushed everything the sampler took.
  const Store store = Store::open(db, Store::Mode::read_only);
  ASSERT_EQ(store.devices().size(), 2U);
  EXPECT_GT(store.devices()[0].sample_count, 3);
  // The run is in the event log, as collect's runs are.
  const auto events = store.events(0, now_ms() + 1, {}, "serve.");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, "serve.start");
  EXPECT_EQ(events[1].kind, "serve.stop");
  EXPECT_NE(events[1].message.find("samples stored"), std::string::npos) << events[1].message;
}

TEST(Serve, WithoutStoreSamplesAre404) {
  const auto source = open_source("sim", SourceOptions{});
  ServeThread serve(*source, test_options(""));
  const auto r = serve.get("/api/v1/samples", {{"gpu", "0"}, {"metric", "power"}});
  EXPECT_EQ(r.status, 404);
}

TEST(Serve, PortInUseFailsBeforeStarting) {
  server::Router router;
  server::HttpServer holder(router, {});
  ServeOptions options = test_options("");
  options.port = holder.bind("127.0.0.1", 0);
  const auto source = open_source("sim", SourceOptions{});
  const std::atomic<bool> stop{false};
  EXPECT_THROW(run_serve(*source, options, stop), UsageError);
}

// A source whose driver goes away after the first read.
class DyingSource : public TelemetrySource {
 public:
  DyingSource() : devices_{DeviceInfo{0, "GPU-dying", "Test GPU", "", {}, {}, {}, {}, {}, {}, {}, false}} {}
  const SourceInfo& info() const override { return info_; }
  const std::vector<DeviceInfo>& devices() const override { return devices_; }
  std::vector<Sample> read(EpochMs now) override {
    if (reads_++ > 0) throw NvmlError("nvmlDeviceGetPowerUsage: GPU is lost");
    Sample s{0, now, {}};
    s.values.set(Metric::power_w, 100);
    return {s};
  }

 private:
  SourceInfo info_{"nvml", false, "535.104.05", "12.535", "12.2"};
  std::vector<DeviceInfo> devices_;
  int reads_ = 0;
};

TEST(Serve, FailedSourceKeepsServingAndHealthzSays503) {
  DyingSource source;
  ServeThread serve(source, test_options(""));
  const auto health = serve.wait_for("/healthz", 503, "\"failed\"");
  ASSERT_EQ(health.status, 503);
  const json j = json::parse(health.body);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_NE(j["error"].get<std::string>().find("GPU is lost"), std::string::npos);
  EXPECT_NE(serve.get("/metrics").body.find("gpuopt_sampler_up 0"), std::string::npos);
}

}  // namespace
}  // namespace gpuopt
