// The power optimizer of `gpuopt serve` on simulated GPUs: advisory output, control mode
// applying its recommendation, and the restore when the agent stops.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "agent_module.hpp"
#include "fake_control.hpp"
#include "gpuopt/power/device_control.hpp"
#include "gpuopt/power/safe_apply.hpp"
#include "gpuopt/store.hpp"
#include "telemetry/sim_source.hpp"

namespace gpuopt::server {
namespace {

namespace fs = std::filesystem;

class PowerAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuopt_power_agent_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    options_.store_path = (dir_ / "store.db").string();
    options_.power.decide_every = std::chrono::milliseconds(0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AgentModule> start(PowerServeOptions::Mode mode) {
    options_.power.mode = mode;
    auto module = make_power_module(AgentContext{options_, state_, source_});
    if (module) {
      module->register_routes(router_);
      module->sink()->on_start(source_.info(), source_.devices());
    }
    return module;
  }

  // A busy job: GPU 0 draws 230 W under its 400 W limit for `rounds` rounds.
  static void feed(AgentModule& module, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      Sample s;
      s.gpu = 0;
      s.time_ms = 1000 * i;
      s.values.set(Metric::power_w, 230);
      s.values.set(Metric::power_limit_w, 400);
      const std::vector<Sample> round{s};
      module.sink()->on_samples(round);
    }
  }

  nlohmann::json power_api() const {
    const HttpResponse r = router_.dispatch(HttpRequest{"GET", "/api/v1/power", {}, ""});
    EXPECT_EQ(r.status, 200);
    return nlohmann::json::parse(r.body);
  }

  fs::path dir_;
  ServeOptions options_;
  LiveState state_{"test"};
  SimSource source_{SourceOptions{}};
  Router router_;
};

TEST_F(PowerAgent, OffMeansNoModule) { EXPECT_EQ(start(PowerServeOptions::Mode::off), nullptr); }

TEST_F(PowerAgent, AdvisoryRecommendsWithoutChangingAnything) {
  const auto module = start(PowerServeOptions::Mode::advisory);
  feed(*module, 12);
  const auto j = power_api();
  EXPECT_EQ(j["mode"], "advisory");
  ASSERT_EQ(j["gpus"].size(), 1U);
  EXPECT_LT(j["gpus"][0]["recommended_power_limit_w"].get<double>(), 400);
  EXPECT_EQ(source_.power_limit_w(0), 400);
  std::string metrics;
  module->write_metrics(metrics);
  EXPECT_NE(metrics.find("gpuopt_power_recommended_limit_watts{gpu=\"0\"}"), std::string::npos);
  EXPECT_NE(metrics.find("gpuopt_power_control_mode 0"), std::string::npos);
}

TEST_F(PowerAgent, AGpuWithoutARecommendationSaysWhy) {
  const auto module = start(PowerServeOptions::Mode::advisory);
  EXPECT_EQ(power_api()["gpus"][0]["reason"], "the source reports no power draw for this GPU yet");
  feed(*module, 3);
  EXPECT_EQ(power_api()["gpus"][0]["reason"], "waiting for 10 power readings (3 so far)");
  DeviceInfo no_range = source_.devices().front();
  no_range.power_limit_min_w.reset();
  module->sink()->on_start(source_.info(), std::vector<DeviceInfo>{no_range});
  EXPECT_EQ(power_api()["gpus"][0]["reason"],
            "the source reports no power-limit range for this GPU: nothing to recommend");
}

TEST_F(PowerAgent, ControlAppliesTheRecommendationAndRestoresItAtStop) {
  auto module = start(PowerServeOptions::Mode::control);
  feed(*module, 12);
  const double applied = source_.power_limit_w(0);
  EXPECT_LT(applied, 400);
  EXPECT_EQ(power_api()["gpus"][0]["recommended_power_limit_w"].get<double>(), applied);
  module.reset();
  EXPECT_EQ(source_.power_limit_w(0), 400);
  const Store store = Store::open(options_.store_path, Store::Mode::read_only);
  const auto events = store.events(0, now_ms() + 1, {}, "power.");
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[1].kind, "power.apply");
  EXPECT_EQ(events[2].kind, "power.recover");
}

TEST_F(PowerAgent, AdvisoryModeRestoresWhatACrashedAgentLeftOnNvmlGpus) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"devices": [{}]})");
  const auto control = power::open_nvml_control(FAKE_NVML_PATH);
  {
    Store store = Store::open(options_.store_path);
    power::SettingChange crashed;  // an agent in control mode that never restored it
    crashed.value = 300;
    crashed.temporary = true;
    power::apply_setting(*control, store, crashed);
  }
  ASSERT_EQ(control->settings(0).power_limit_w, 300);
  options_.power.nvml_library = FAKE_NVML_PATH;
  SourceOptions source_options;
  source_options.nvml_library = FAKE_NVML_PATH;
  const auto nvml = open_source("nvml", source_options);
  options_.power.mode = PowerServeOptions::Mode::advisory;
  const auto module = make_power_module(AgentContext{options_, state_, *nvml});
  EXPECT_EQ(control->settings(0).power_limit_w, 400);
  const Store store = Store::open(options_.store_path, Store::Mode::read_only);
  EXPECT_EQ(store.events(0, now_ms() + 1, {}, "power.").back().kind, "power.recover");
}

TEST_F(PowerAgent, AChangeTheDeviceRefusesIsNotRetriedEveryRound) {
  fake_nvml::FakeNvml fake(FAKE_NVML_PATH);
  fake.configure(R"({"devices": [{"set_power_limit": "NO_PERMISSION"}]})");
  options_.power.nvml_library = FAKE_NVML_PATH;
  options_.power.mode = PowerServeOptions::Mode::control;
  SourceOptions source_options;
  source_options.nvml_library = FAKE_NVML_PATH;
  const auto nvml = open_source("nvml", source_options);
  auto module = make_power_module(AgentContext{options_, state_, *nvml});
  module->register_routes(router_);
  module->sink()->on_start(nvml->info(), nvml->devices());
  feed(*module, 40);  // a decision every round from the 10th on
  const std::string action = power_api()["gpus"][0]["last_action"].get<std::string>();
  EXPECT_NE(action.find("not retried yet"), std::string::npos) << action;
  EXPECT_NE(action.find("permission denied"), std::string::npos) << action;
  module.reset();
  const Store store = Store::open(options_.store_path, Store::Mode::read_only);
  EXPECT_EQ(store.events(0, now_ms() + 1, {}, "power.failed").size(), 1U);
  EXPECT_EQ(store.events(0, now_ms() + 1, {}, "power.pending").size(), 1U);
}

TEST_F(PowerAgent, BadObjectiveOptionsNameServesOptions) {
  options_.power.eta = std::nan("");
  try {
    start(PowerServeOptions::Mode::advisory);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--power-eta nan: must be in [0, 1]");
  }
  options_.power.eta = 0.5;
  options_.power.max_slowdown = "200%";
  try {
    start(PowerServeOptions::Mode::advisory);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--power-max-slowdown '200%': must be more than 0% and at most 100%");
  }
}

TEST_F(PowerAgent, ControlNeedsTheStore) {
  options_.store_path.clear();
  EXPECT_THROW(start(PowerServeOptions::Mode::control), UsageError);
}

}  // namespace
}  // namespace gpuopt::server
