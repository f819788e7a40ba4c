#include "json_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gpuopt/store.hpp"
#include "router.hpp"
#include "server_test_util.hpp"

namespace gpuopt::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

LiveSnapshot snapshot_with_one_gpu() {
  LiveSnapshot snap;
  snap.now_ms = 100'000;
  snap.hostname = "node-1";
  snap.source = SourceInfo{"sim", true, "", "", ""};
  DeviceInfo d;
  d.uuid = "sim-0";
  d.name = "Simulated GPU";
  d.power_limit_max_w = 300;
  d.simulated = true;
  snap.devices = {d};
  Sample s{0, 99'000, {}};
  s.values.set(Metric::power_w, 123.5);
  snap.latest = {{0, s}};
  snap.stats.sampler = SamplerState::running;
  snap.stats.last_round_ms = 99'000;
  return snap;
}

json body_json(const HttpResponse& r) { return json::parse(r.body); }

TEST(JsonApi, DevicesListsSourceDevicesAndLatestWithUnits) {
  const HttpResponse r = handle_devices(snapshot_with_one_gpu());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const json j = body_json(r);
  EXPECT_EQ(j["source"]["name"], "sim");
  EXPECT_EQ(j["source"]["simulated"], true);
  ASSERT_EQ(j["devices"].size(), 1U);
  const json& d = j["devices"][0];
  EXPECT_EQ(d["uuid"], "sim-0");
  EXPECT_EQ(d["power_limit_max_w"], 300);
  EXPECT_TRUE(d["power_limit_min_w"].is_null());
  EXPECT_EQ(d["latest"]["power_w"], 123.5);
  EXPECT_EQ(d["latest"]["age_ms"], 1000);
  EXPECT_FALSE(d["latest"].contains("temperature_c"));  // absent, not 0
}

TEST(JsonApi, DevicesWithoutSampleYetHaveNullLatest) {
  LiveSnapshot snap = snapshot_with_one_gpu();
  snap.latest.clear();
  EXPECT_TRUE(body_json(handle_devices(snap))["devices"][0]["latest"].is_null());
}

TEST(JsonApi, HealthzOkWhileFresh) {
  const HttpResponse r = handle_healthz(snapshot_with_one_gpu(), 5s);
  EXPECT_EQ(r.status, 200);
  const json j = body_json(r);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["source"], "sim");
  EXPECT_EQ(j["last_sample_age_ms"], 1000);
}

TEST(JsonApi, HealthzStaleAfterTheLimit) {
  LiveSnapshot snap = snapshot_with_one_gpu();
  snap.now_ms = 99'000 + 5000;
  EXPECT_EQ(handle_healthz(snap, 5s).status, 200);  // exactly at the limit is still fresh
  snap.now_ms = 99'000 + 5001;
  snap.stats.last_error = "GPU 0: GPU is lost";
  const HttpResponse r = handle_healthz(snap, 5s);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(body_json(r)["status"], "stale");
  EXPECT_EQ(body_json(r)["error"], "GPU 0: GPU is lost");
}

TEST(JsonApi, HealthzStartingFailedFinished) {
  LiveSnapshot snap = snapshot_with_one_gpu();
  snap.stats.last_round_ms.reset();
  snap.stats.sampler = SamplerState::starting;
  EXPECT_EQ(body_json(handle_healthz(snap, 5s))["status"], "starting");
  EXPECT_EQ(handle_healthz(snap, 5s).status, 503);

  snap = snapshot_with_one_gpu();
  snap.stats.sampler = SamplerState::failed;
  EXPECT_EQ(handle_healthz(snap, 5s).status, 503);
  EXPECT_EQ(body_json(handle_healthz(snap, 5s))["status"], "failed");

  snap = snapshot_with_one_gpu();
  snap.stats.sampler = SamplerState::finished;
  snap.now_ms += 60'000;
  EXPECT_EQ(body_json(handle_healthz(snap, 5s))["status"], "finished");
}

TEST(Router, UnknownPathWrongMethodAndHead) {
  Router router;
  router.add("GET", "/x", "x", [](const HttpRequest&) { return json_response(200, "{}"); });
  HttpRequest req;
  req.path = "/nope";
  HttpResponse r = router.dispatch(req);
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(body_json(r)["error"].get<std::string>().find("/nope") != std::string::npos);

  req.path = "/x";
  req.method = "POST";
  r = router.dispatch(req);
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1U);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, HEAD"}));

  req.method = "HEAD";
  EXPECT_EQ(router.dispatch(req).status, 200);
  EXPECT_EQ(router.route_label("/x"), "/x");
  EXPECT_EQ(router.route_label("/random/junk"), "other");
  EXPECT_THROW(router.add("GET", "/x", "again", [](const HttpRequest&) { return HttpResponse{}; }),
               std::logic_error);
}

TEST(Router, HandlerErrorsBecomeJsonStatuses) {
  Router router;
  router.add("GET", "/param", "",
             [](const HttpRequest&) -> HttpResponse { throw BadParameter("gpu", "bad"); });
  router.add("GET", "/store", "",
             [](const HttpRequest&) -> HttpResponse { throw StoreError("db.sqlite: locked"); });
  router.add("GET", "/bug", "", [](const HttpRequest&) -> HttpResponse { throw std::out_of_range("oops"); });
  HttpRequest req;
  req.path = "/param";
  HttpResponse r = router.dispatch(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r)["parameter"], "gpu");
  EXPECT_EQ(body_json(r)["error"], "parameter 'gpu': bad");
  req.path = "/store";
  EXPECT_EQ(router.dispatch(req).status, 503);
  req.path = "/bug";
  r = router.dispatch(req);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find('\n'), r.body.size() - 1);  // one line
}

TEST(Params, RepeatedAndUnknown) {
  HttpRequest req;
  req.params = {{"gpu", "0"}, {"gpu", "1"}};
  EXPECT_THROW(single_param(req, "gpu"), BadParameter);
  EXPECT_FALSE(single_param(req, "metric"));
  req.params = {{"metrc", "power"}};
  try {
    reject_unknown_params(req, {"metric"});
    FAIL() << "no throw";
  } catch (const BadParameter& e) {
    EXPECT_EQ(e.parameter(), "metrc");
  }
}

TEST(Params, ControlCharactersAreRejectedByName) {
  HttpRequest req;
  req.params = {{"gpu", std::string("0\0x", 3)}, {"metric", "power\nX-Injected: 1"}};
  for (const char* name : {"gpu", "metric"}) {
    try {
      single_param(req, name);
      ADD_FAILURE() << "no throw for " << name;
    } catch (const BadParameter& e) {
      EXPECT_EQ(e.parameter(), name);
      EXPECT_STREQ(e.what(), (std::string("parameter '") + name + "': contains control characters").c_str());
    }
  }
}

class SamplesApi : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "store.db").string();
    Store store = Store::open(path_);
    DeviceInfo a;
    a.uuid = "GPU-aaaa";
    a.name = "A";
    DeviceInfo b = a;
    b.uuid = "GPU-bbbb";
    b.index = 1;
    const std::vector<DeviceInfo> devices{a, b};
    const auto ids = store.register_devices(devices, "test");
    std::vector<Sample> samples;
    for (int i = 0; i < 120; ++i) {
      Sample s{0, kStart + i * 1000, {}};
      s.values.set(Metric::power_w, 100 + i);
      samples.push_back(s);
    }
    store.append(ids, samples);
  }

  HttpResponse get(std::multimap<std::string, std::string> params) {
    HttpRequest req;
    req.path = "/api/v1/samples";
    req.params = std::move(params);
    Router router;
    LiveState state("h");
    register_json_api(router, state, ApiOptions{path_, 5s});
    // Through the router, so thrown BadParameter becomes the 400 a client sees.
    return router.dispatch(req);
  }

  std::string bad_parameter(std::multimap<std::string, std::string> params) {
    const HttpResponse r = get(std::move(params));
    EXPECT_EQ(r.status, 400) << r.body;
    const json j = body_json(r);
    return j.contains("parameter") ? j["parameter"].get<std::string>() : "(none)";
  }

  static constexpr EpochMs kStart = 1'699'999'980'000;  // minute-aligned
  test::TempDir dir_;
  std::string path_;
};

TEST_F(SamplesApi, RawAndResampledPoints) {
  const std::string from = std::to_string(kStart);
  const std::string to = std::to_string(kStart + 120'000);
  HttpResponse r = get({{"gpu", "GPU-aaaa"}, {"metric", "power"}, {"from", from}, {"to", to}});
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body_json(r);
  EXPECT_EQ(j["metric"], "power_w");
  EXPECT_EQ(j["unit"], "W");
  ASSERT_EQ(j["points"].size(), 120U);
  EXPECT_EQ(j["points"][0][0], kStart);
  EXPECT_EQ(j["points"][0][1], 100);
  EXPECT_EQ(j["points"][119][1], 219);

  r = get({{"gpu", "0"}, {"metric", "power_w"}, {"from", from}, {"to", to}, {"step", "1m"}, {"agg", "max"}});
  ASSERT_EQ(r.status, 200) << r.body;
  j = body_json(r);
  ASSERT_EQ(j["points"].size(), 2U);
  EXPECT_EQ(j["points"][0][1], 159);
  EXPECT_EQ(j["points"][1][1], 219);
}

TEST_F(SamplesApi, BadParametersAreNamed) {
  const std::string from = std::to_string(kStart);
  EXPECT_EQ(bad_parameter({{"gpu", "GPU-aaaa"}}), "metric");
  EXPECT_EQ(bad_parameter({{"gpu", "GPU-aaaa"}, {"metric", "watts"}}), "metric");
  EXPECT_EQ(bad_parameter({{"metric", "power"}}), "gpu");  // two devices: gpu is required
  EXPECT_EQ(bad_parameter({{"gpu", "GPU-zzzz"}, {"metric", "power"}}), "gpu");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"from", "yesterday"}}), "from");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"to", "-2h"}}), "from");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"step", "fast"}}), "step");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"from", "-7d"}, {"step", "1s"}}), "step");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"agg", "median"}}), "agg");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"metric", "temperature"}}), "metric");
  EXPECT_EQ(bad_parameter({{"gpu", "0"}, {"metric", "power"}, {"limit", "5"}}), "limit");
}

TEST(SamplesApiNoStore, Answers404) {
  HttpRequest req;
  req.params = {{"gpu", "0"}, {"metric", "power"}};
  const HttpResponse r = handle_samples(req, "", 0);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(body_json(r)["error"].get<std::string>().find("without a store"), std::string::npos);
}

}  // namespace
}  // namespace gpuopt::server
