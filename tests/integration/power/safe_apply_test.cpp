// Applying power limits and SM clocks through the real NVML control against the fake
// libnvidia-ml: constraints, privileges, dry runs, reset, and recovery after a crash.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "fake_control.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/device_control.hpp"
#include "gpuopt/power/safe_apply.hpp"
#include "gpuopt/store.hpp"
#include "sqlite_db.hpp"

namespace gpuopt::power {
namespace {

namespace fs = std::filesystem;

using nvmlDeviceGetEnforcedPowerLimit_fn = int (*)(void*, unsigned int*);
using nvmlDeviceGetClockInfo_fn = int (*)(void*, int, unsigned int*);

// NVML control whose power-limit setter leaves the store locked by another writer (a long import,
// say) between the change and its record.
class LockingControl final : public DeviceControl {
 public:
  LockingControl(DeviceControl& nvml, std::string store_path) : nvml_(nvml), path_(std::move(store_path)) {}
  std::string name() const override { return nvml_.name(); }
  int device_count() const override { return nvml_.device_count(); }
  DeviceSettings settings(int gpu) const override { return nvml_.settings(gpu); }
  void set_power_limit_w(int gpu, double limit_w) override {
    nvml_.set_power_limit_w(gpu, limit_w);
    other_writer_.emplace(path_, store::Database::Access::read_write_create);
    other_writer_->exec("BEGIN IMMEDIATE");
  }
  void lock_sm_clock_mhz(int gpu, double mhz) override { nvml_.lock_sm_clock_mhz(gpu, mhz); }
  void reset_sm_clock(int gpu) override { nvml_.reset_sm_clock(gpu); }
  void unlock_store() { other_writer_.reset(); }

 private:
  DeviceControl& nvml_;
  std::string path_;
  std::optional<store::Database> other_writer_;
};

class SafeApply : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.configure(R"({"devices": [{"enforced_power_limit_mw": 400000, "power_limit_min_mw": 100000,
                                      "power_limit_max_mw": 400000, "default_power_limit_mw": 400000}]})");
    dir_ = fs::temp_directory_path() / ("gpuopt_power_apply_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    store_.emplace(Store::open((dir_ / "store.db").string()));
    control_ = open_nvml_control(FAKE_NVML_PATH);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // What the fake GPU 0 enforces now, in W.
  double enforced_w() const {
    const auto get = fake_.symbol<nvmlDeviceGetEnforcedPowerLimit_fn>("nvmlDeviceGetEnforcedPowerLimit");
    unsigned int mw = 0;
    EXPECT_EQ(get(reinterpret_cast<void*>(1), &mw), 0);
    return mw / 1000.0;
  }
  unsigned int sm_clock_mhz() const {
    const auto get = fake_.symbol<nvmlDeviceGetClockInfo_fn>("nvmlDeviceGetClockInfo");
    unsigned int mhz = 0;
    EXPECT_EQ(get(reinterpret_cast<void*>(1), 1, &mhz), 0);
    return mhz;
  }
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const Event& e : store_->events(0, now_ms() + 1, {}, "power.")) out.push_back(e.kind);
    return out;
  }
  // What a process writes before changing GPU 0's power limit (and a crash leaves behind).
  void record_pending(const std::string& message, const std::string& details_json) {
    DeviceInfo gpu0;
    gpu0.uuid = "GPU-fa4e0000-0000-0000-0000-000000000000";
    Event pending;
    pending.time_ms = now_ms();
    pending.device = store_->register_devices(std::vector<DeviceInfo>{gpu0}, "nvml@test").front();
    pending.kind = "power.pending";
    pending.severity = "info";
    pending.message = message;
    pending.details_json = details_json;
    store_->add_event(pending);
  }
  static SettingChange limit(double w) {
    SettingChange c;
    c.value = w;
    return c;
  }

  fake_nvml::FakeNvml fake_{FAKE_NVML_PATH};
  fs::path dir_;
  std::optional<Store> store_;
  std::unique_ptr<DeviceControl> control_;
};

TEST_F(SafeApply, SetsTheLimitRecordsItAndResetRestoresIt) {
  const ChangeResult r = apply_setting(*control_, *store_, limit(250));
  EXPECT_TRUE(r.changed);
  EXPECT_NE(r.message.find("power limit 400 W -> 250 W"), std::string::npos) << r.message;
  EXPECT_EQ(enforced_w(), 250);
  apply_setting(*control_, *store_, limit(200));
  EXPECT_EQ(enforced_w(), 200);
  SettingChange reset;
  reset.kind = SettingChange::Kind::reset;
  const ChangeResult back = apply_setting(*control_, *store_, reset);
  EXPECT_NE(back.message.find("200 W -> 400 W"), std::string::npos) << back.message;
  EXPECT_EQ(enforced_w(), 400);
  EXPECT_EQ(kinds(), (std::vector<std::string>{"power.pending", "power.apply", "power.pending", "power.apply",
                                               "power.pending", "power.reset"}));
}

TEST_F(SafeApply, TheCurrentValueChangesAndRecordsNothing) {
  const ChangeResult r = apply_setting(*control_, *store_, limit(400));
  EXPECT_FALSE(r.changed);
  EXPECT_NE(r.message.find("power limit is already 400 W; nothing changed"), std::string::npos) << r.message;
  // NVML takes milliwatts: less than that is the same limit (and not outside the range).
  EXPECT_FALSE(apply_setting(*control_, *store_, limit(400.0004)).changed);
  EXPECT_TRUE(kinds().empty());
}

TEST_F(SafeApply, DryRunChangesAndRecordsNothing) {
  SettingChange c = limit(250);
  c.dry_run = true;
  const ChangeResult r = apply_setting(*control_, *store_, c);
  EXPECT_FALSE(r.changed);
  EXPECT_NE(r.message.find("dry run"), std::string::npos);
  EXPECT_EQ(enforced_w(), 400);
  EXPECT_TRUE(kinds().empty());
}

TEST_F(SafeApply, OutsideTheReportedConstraintsIsRefusedBeforeTouchingTheGpu) {
  try {
    apply_setting(*control_, *store_, limit(450));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "GPU 0: 450 W is outside the allowed power-limit range 100-400 W");
  }
  EXPECT_EQ(fake_.calls("nvmlDeviceSetPowerManagementLimit"), 0U);
  fake_.configure(R"({"devices": [{"power_limit_min_mw": "NOT_SUPPORTED"}]})");
  try {  // a device condition (exit 1), not a usage error (exit 2)
    apply_setting(*control_, *store_, limit(250));
    FAIL();
  } catch (const UsageError& e) {
    FAIL() << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not report its allowed power-limit range"), std::string::npos);
  }
}

TEST_F(SafeApply, WithoutPrivilegesItSaysSoAndRecordsTheFailure) {
  fake_.configure(R"({"devices": [{"set_power_limit": "NO_PERMISSION"}]})");
  try {
    apply_setting(*control_, *store_, limit(250));
    FAIL();
  } catch (const NvmlError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "permission denied (NVML_ERROR_NO_PERMISSION): changing GPU settings needs "
                  "root"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(kinds(), (std::vector<std::string>{"power.pending", "power.failed"}));
  EXPECT_TRUE(recover_pending(*control_, *store_).empty());
}

TEST_F(SafeApply, LocksOnlySupportedClocksAndResetUnlocks) {
  SettingChange c;
  c.kind = SettingChange::Kind::sm_clock;
  c.value = 1401;
  try {
    apply_setting(*control_, *store_, c);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("nearest 1395 MHz"), std::string::npos) << e.what();
  }
  c.value = 1200;
  apply_setting(*control_, *store_, c);
  EXPECT_EQ(sm_clock_mhz(), 1200U);
  SettingChange reset;
  reset.kind = SettingChange::Kind::reset;
  apply_setting(*control_, *store_, reset);
  EXPECT_EQ(sm_clock_mhz(), 1410U);
}

TEST_F(SafeApply, AChangeInterruptedMidWayIsRestoredAtTheNextStart) {
  // A process records the pending change, sets the GPU and dies before recording completion.
  record_pending(
      "about to change",
      R"({"setting":"power_limit_w","previous":400,"target":150,"baseline":400,"restore":400,"temporary":false})");
  control_->set_power_limit_w(0, 150);
  const auto lines = recover_pending(*control_, *store_);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("restored the power limit to 400 W"), std::string::npos) << lines[0];
  EXPECT_EQ(enforced_w(), 400);
  EXPECT_TRUE(recover_pending(*control_, *store_).empty());
}

TEST_F(SafeApply, AChangeOwnedByAnotherRunningProcessIsLeftAlone) {
  record_pending("an agent in control mode",
                 R"({"setting":"power_limit_w","previous":400,"target":150,"baseline":400,"restore":400,)"
                 R"("temporary":true,"pid":)" +
                     std::to_string(::getppid()) + "}");
  control_->set_power_limit_w(0, 150);
  const auto lines = recover_pending(*control_, *store_);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("as set by running process"), std::string::npos) << lines[0];
  EXPECT_EQ(enforced_w(), 150);
}

TEST_F(SafeApply, TemporaryChangesAreRestoredByRecovery) {
  SettingChange c = limit(300);
  c.temporary = true;
  apply_setting(*control_, *store_, c);
  c.value = 250;
  apply_setting(*control_, *store_, c);
  EXPECT_EQ(enforced_w(), 250);
  ASSERT_EQ(recover_pending(*control_, *store_).size(), 1U);
  EXPECT_EQ(enforced_w(), 400);
}

TEST_F(SafeApply, ALostGpuDoesNotKeepTheOthersFromBeingRestored) {
  fake_.configure(R"({"devices": [{}, {}]})");
  control_ = open_nvml_control(FAKE_NVML_PATH);
  SettingChange c = limit(300);
  c.gpu = 1;
  c.temporary = true;
  apply_setting(*control_, *store_, c);
  fake_.configure(R"({"devices": [{"lost": true}, {"enforced_power_limit_mw": 300000}]})");
  const auto lines = recover_pending(*control_, *store_);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].rfind("GPU 0: nvmlDeviceGetHandleByIndex: GPU is lost", 0), 0U) << lines[0];
  EXPECT_NE(lines[1].find("GPU 1 (NVIDIA A100-SXM4-80GB): restored the power limit to 400 W"),
            std::string::npos)
      << lines[1];
  c.temporary = false;
  c.value = 250;
  EXPECT_TRUE(apply_setting(*control_, *store_, c).changed);
}

TEST_F(SafeApply, AnUnreadableLimitIsRestoredToTheDefaultLimit) {
  fake_.configure(R"({"devices": [{"enforced_power_limit_mw": "NOT_SUPPORTED"}]})");
  const ChangeResult r = apply_setting(*control_, *store_, limit(300));
  EXPECT_NE(r.message.find("power limit unknown -> 300 W"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("--reset`, to 400 W)"), std::string::npos) << r.message;
  // A change interrupted by a version that recorded nothing to restore.
  record_pending("about to change",
                 R"({"setting":"power_limit_w","previous":null,"target":250,"baseline":null,"restore":null,)"
                 R"("temporary":false})");
  const auto lines = recover_pending(*control_, *store_);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("restored the power limit to 400 W"), std::string::npos) << lines[0];
}

TEST_F(SafeApply, WithoutCurrentOrDefaultLimitTheChangeIsRefused) {
  fake_.configure(
      R"({"devices": [{"enforced_power_limit_mw": "NOT_SUPPORTED", "default_power_limit_mw": "NOT_SUPPORTED"}]})");
  try {
    apply_setting(*control_, *store_, limit(300));
    FAIL();
  } catch (const NvmlError& e) {
    EXPECT_NE(std::string(e.what()).find("no value to restore; nothing changed"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(fake_.calls("nvmlDeviceSetPowerManagementLimit"), 0U);
  EXPECT_TRUE(kinds().empty());
}

TEST_F(SafeApply, TemporaryChangesRestoreTheLimitTheyReplaced) {
  apply_setting(*control_, *store_, limit(350));  // the operator's cap, before the agent starts
  SettingChange c = limit(300);
  c.temporary = true;
  apply_setting(*control_, *store_, c);
  c.value = 250;
  const ChangeResult r = apply_setting(*control_, *store_, c);
  EXPECT_NE(r.message.find("restored to 350 W when this process stops"), std::string::npos) << r.message;
  ASSERT_EQ(recover_pending(*control_, *store_).size(), 1U);
  EXPECT_EQ(enforced_w(), 350);
}

TEST_F(SafeApply, AClockLockClearedOutsideGpuoptIsLockedAgain) {
  SettingChange c;
  c.kind = SettingChange::Kind::sm_clock;
  c.value = 1200;
  apply_setting(*control_, *store_, c);
  fake_.configure(R"({"devices": [{}]})");  // a driver reload or `nvidia-smi -rgc` cleared the lock
  ASSERT_EQ(sm_clock_mhz(), 1410U);
  const ChangeResult r = apply_setting(*control_, *store_, c);
  EXPECT_NE(r.message.find("locked it again"), std::string::npos) << r.message;
  EXPECT_EQ(sm_clock_mhz(), 1200U);
  EXPECT_EQ(kinds().size(), 2U) << "the recorded state is unchanged";
}

TEST_F(SafeApply, AChangeThatCannotBeRecordedSaysTheGpuWasChanged) {
  store_->set_busy_timeout(std::chrono::milliseconds(50));
  LockingControl control(*control_, (dir_ / "store.db").string());
  try {
    apply_setting(control, *store_, limit(250));
    FAIL();
  } catch (const StoreError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("GPU 0 was changed to 250 W but the change could not be recorded: ", 0), 0U) << what;
    EXPECT_NE(what.find("; the next `gpuopt power apply` or `gpuopt serve` start restores it to 400 W"),
              std::string::npos)
        << what;
  }
  EXPECT_EQ(enforced_w(), 250);
  control.unlock_store();
  ASSERT_EQ(recover_pending(*control_, *store_).size(), 1U);
  EXPECT_EQ(enforced_w(), 400);
}

}  // namespace
}  // namespace gpuopt::power
