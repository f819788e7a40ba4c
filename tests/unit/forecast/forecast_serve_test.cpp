// `gpuopt serve` with the forecast module: /api/v1/forecast and the gpuopt_forecast_* gauges on a
// replayed trace, and an anomaly event in the store.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpuopt/server.hpp"
#include "gpuopt/store.hpp"
#include "serve_thread.hpp"
#include "server_test_util.hpp"

namespace gpuopt {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Two GPUs at 100 ms for 4 minutes.
std::string write_trace(const std::filesystem::path& dir) {
  const std::string path = (dir / "stall.csv").string();
  std::ofstream out(path);
  out << "timestamp, index, uuid, power.draw [W], utilization.gpu [%], memory.used [MiB]\n";
  for (int k = 0; k < 2400; ++k) {
    const int s = k / 10;
    const std::string t = fmt::format("2025/07/27 01:{:02}:{:02}.{}00", s / 60, s % 60, k % 10);
    out << fmt::format("{}, 0, GPU-aaaa, {} W, 99 %, 30000 MiB\n", t, 300 + (k % 5) * 10);
    const bool stalled = s >= 120;
    out << fmt::format("{}, 1, GPU-bbbb, {} W, {} %, 30000 MiB\n", t, stalled ? 60 : 350 + (k % 3) * 5,
                       stalled ? 0 : 98);
  }
  return path;
}

TEST(ForecastServe, ForecastEndpointAndGaugesOnAReplay) {
  test::TempDir dir;
  const std::string db = (dir.path() / "serve.db").string();
  SourceOptions source_options;
  source_options.replay_speed = 40;
  const auto source = open_source("replay:" + write_trace(dir.path()), source_options);
  ServeOptions options;
  options.port = 0;
  options.store_path = db;
  options.sampler.interval = 50ms;
  options.sampler.flush_every = 100ms;
  {
    test::ServeThread serve(*source, options);
    serve.wait_for("/healthz", 200);
    auto forecast = serve.get("/api/v1/forecast", {{"gpu", "0"}});
    for (int i = 0; i < 50 && forecast.status == 503; ++i) {  // the first 2 s of trace fill the window
      std::this_thread::sleep_for(50ms);
      forecast = serve.get("/api/v1/forecast", {{"gpu", "0"}});
    }
    ASSERT_EQ(forecast.status, 200) << forecast.body;
    const json j = json::parse(forecast.body);
    EXPECT_EQ(j["uuid"], "GPU-aaaa");
    const json& power = j["channels"]["power"];
    EXPECT_EQ(power["unit"], "W");
    ASSERT_EQ(power["horizons"].size(), 3U);
    EXPECT_EQ(power["horizons"][1]["horizon"], "5s");
    const double value = power["horizons"][1]["value"];
    EXPECT_GT(value, 200);
    EXPECT_LT(value, 400);
    EXPECT_LE(power["horizons"][1]["lower"].get<double>(), value);
    EXPECT_FALSE(j["channels"].contains("temperature"));  // not in the trace

    const auto metrics = serve.get("/metrics").body;
    EXPECT_NE(metrics.find("gpuopt_forecast_power{gpu=\"0\",UUID=\"GPU-aaaa\",horizon=\"5s\"}"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("# TYPE gpuopt_forecast_gpu_util gauge"), std::string::npos);
    // The calibrated interval too, so that Prometheus can alert on a bound.
    for (const std::string bound : {"lower", "upper"}) {
      EXPECT_NE(metrics.find("# TYPE gpuopt_forecast_power_" + bound + " gauge"), std::string::npos)
          << metrics;
      EXPECT_NE(
          metrics.find("gpuopt_forecast_power_" + bound + "{gpu=\"0\",UUID=\"GPU-aaaa\",horizon=\"5s\"}"),
          std::string::npos);
    }

    EXPECT_EQ(serve.get("/api/v1/forecast", {{"gpu", "7"}}).status, 400);
    EXPECT_EQ(serve.get("/api/v1/forecast").status, 400);
    EXPECT_EQ(serve.get("/api/v1/forecast", {{"gpu", "0"}, {"x", "1"}}).status, 400);
  }
}

// Two GPUs whose clock runs 1 s per read (the rules need minutes of history; a replay stamps its
// samples with the wall clock). GPU 1 stalls after 150 s with its memory still allocated.
class FastClockSource : public TelemetrySource {
 public:
  FastClockSource() {
    for (int g = 0; g < 2; ++g) {
      DeviceInfo d;
      d.index = g;
      d.uuid = fmt::format("GPU-fast-{}", g);
      devices_.push_back(d);
    }
  }
  const SourceInfo& info() const override { return info_; }
  const std::vector<DeviceInfo>& devices() const override { return devices_; }
  std::vector<Sample> read(EpochMs) override {
    const EpochMs t = 1'700'000'000'000 + reads_ * 1000;
    const bool stalled = reads_ >= 150;
    std::vector<Sample> out;
    for (int g = 0; g < 2; ++g) {
      Sample s{g, t, {}};
      const bool idle = g == 1 && stalled;
      s.values.set(Metric::power_w, idle ? 60.0 : 350.0 + (reads_ % 3) * 5);
      s.values.set(Metric::gpu_util_pct, idle ? 0.0 : 98.0);
      s.values.set(Metric::mem_used_mib, 30000.0);
      out.push_back(s);
    }
    ++reads_;
    return out;
  }
  bool finished() const override { return reads_ >= 300; }

 private:
  SourceInfo info_{"fast-clock", true, "", "", ""};
  std::vector<DeviceInfo> devices_;
  int reads_ = 0;
};

TEST(ForecastServe, AnomalyEventsGoToTheStore) {
  test::TempDir dir;
  const std::string db = (dir.path() / "serve.db").string();
  FastClockSource source;
  ServeOptions options;
  options.port = 0;
  options.store_path = db;
  options.sampler.interval = 10ms;
  options.sampler.flush_every = 100ms;
  {
    test::ServeThread serve(source, options);
    serve.wait_for("/healthz", 503, "finished");
  }
  const Store store = Store::open(db, Store::Mode::read_only);
  const auto events = store.events(0, std::numeric_limits<EpochMs>::max(), {}, "anomaly.");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, "anomaly.collapse");
  EXPECT_EQ(events[0].device, store.find_device("GPU-fast-1").id);
  EXPECT_EQ(events[0].severity, "error");
  EXPECT_GT(events[0].time_ms, 1'700'000'000'000 + 150'000);
}

}  // namespace
}  // namespace gpuopt
