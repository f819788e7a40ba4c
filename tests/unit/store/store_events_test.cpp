// Store's event log.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

class StoreEventsTest : public TwoDeviceStoreTest {
 protected:
  std::int64_t add(EpochMs t, std::optional<DeviceId> device, const std::string& kind) {
    return store_->add_event({0, t, device, kind, "warning", kind + " happened", R"({"watts":120})"});
  }
};

TEST_F(StoreEventsTest, RoundTripWithFilters) {
  const auto first = add(kT0, std::nullopt, "import");
  const auto second = add(kT0 + 1000, ids_[0], "anomaly.power_collapse");
  add(kT0 + 2000, ids_[1], "anomaly.thermal");
  add(kT0 + 3000, ids_[0], "control.set_power_limit");
  EXPECT_LT(first, second);

  const auto all = store_->events(kT0, kT0 + 10'000);
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[0].id, first);
  EXPECT_FALSE(all[0].device.has_value());
  EXPECT_EQ(all[1].device, ids_[0]);
  EXPECT_EQ(all[1].kind, "anomaly.power_collapse");
  EXPECT_EQ(all[1].severity, "warning");
  EXPECT_EQ(all[1].message, "anomaly.power_collapse happened");
  EXPECT_EQ(all[1].details_json, R"({"watts":120})");

  EXPECT_EQ(store_->events(kT0 + 1000, kT0 + 3000).size(), 2U);
  EXPECT_EQ(store_->events(kT0, kT0 + 10'000, ids_[0]).size(), 2U);
  EXPECT_EQ(store_->events(kT0, kT0 + 10'000, {}, "anomaly.").size(), 2U);
  EXPECT_EQ(store_->events(kT0, kT0 + 10'000, ids_[0], "anomaly.").size(), 1U);
  // A prefix is literal: '%' and '_' are not wildcards, and case matters.
  EXPECT_TRUE(store_->events(kT0, kT0 + 10'000, {}, "anomaly%").empty());
  EXPECT_TRUE(store_->events(kT0, kT0 + 10'000, {}, "Import").empty());
}

TEST_F(StoreEventsTest, InvalidSeverityOrDetailsAreRejected) {
  EXPECT_THROW(store_->add_event({0, kT0, std::nullopt, "x", "fatal", "m", "{}"}), StoreError);
  EXPECT_THROW(store_->add_event({0, kT0, std::nullopt, "x", "info", "m", "{not json"}), StoreError);
  EXPECT_TRUE(store_->events(0, kT0 * 2).empty());
}

}  // namespace
}  // namespace gpuopt::test
