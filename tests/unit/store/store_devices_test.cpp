// Store's device table: registration by UUID, listing with sample ranges, --gpu selection.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

class StoreDevicesTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_.emplace(Store::open(path()));
  }

  // Expects find_device(selector) to throw UsageError containing each of `parts`.
  void expect_selector_error(const std::string& selector, const std::vector<std::string>& parts) {
    try {
      store_->find_device(selector);
      FAIL() << "expected UsageError for '" << selector << "'";
    } catch (const UsageError& e) {
      for (const auto& part : parts)
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }

  std::optional<Store> store_;
};

TEST_F(StoreDevicesTest, RegisterRoundTripsEveryProperty) {
  DeviceInfo d = make_device(3, "GPU-1234");
  d.power_limit_min_w = 200;
  d.power_limit_max_w = 700;
  d.sm_clock_max_mhz = 1980;
  d.mem_clock_max_mhz = 2619;
  d.graphics_clock_max_mhz = 1980;
  d.simulated = true;
  DeviceInfo bare = make_device(4, "GPU-5678");
  bare.mem_total_mib.reset();
  bare.power_limit_default_w.reset();
  const std::vector<DeviceInfo> devices{d, bare};
  const auto ids = store_->register_devices(devices, "sim@host");
  ASSERT_EQ(ids.size(), 2U);
  EXPECT_NE(ids[0], ids[1]);
  const auto stored = store_->devices();
  ASSERT_EQ(stored.size(), 2U);
  EXPECT_EQ(stored[0].id, ids[0]);
  EXPECT_EQ(stored[0].origin, "sim@host");
  EXPECT_EQ(stored[0].info.index, 3);
  EXPECT_EQ(stored[0].info.uuid, "GPU-1234");
  EXPECT_EQ(stored[0].info.name, d.name);
  EXPECT_EQ(stored[0].info.pci_bus_id, d.pci_bus_id);
  EXPECT_EQ(stored[0].info.mem_total_mib, 81559);
  EXPECT_EQ(stored[0].info.power_limit_min_w, 200);
  EXPECT_EQ(stored[0].info.power_limit_max_w, 700);
  EXPECT_EQ(stored[0].info.sm_clock_max_mhz, 1980);
  EXPECT_EQ(stored[0].info.mem_clock_max_mhz, 2619);
  EXPECT_EQ(stored[0].info.graphics_clock_max_mhz, 1980);
  EXPECT_TRUE(stored[0].info.simulated);
  EXPECT_FALSE(stored[1].info.mem_total_mib.has_value());
  EXPECT_FALSE(stored[1].info.power_limit_default_w.has_value());
  EXPECT_FALSE(stored[1].info.simulated);
  EXPECT_FALSE(stored[1].first_ms.has_value());
  EXPECT_EQ(stored[1].sample_count, 0);
}

TEST_F(StoreDevicesTest, ReRegisteringRefreshesKnownPropertiesOnly) {
  const std::vector<DeviceInfo> first{make_device(0, "GPU-1234")};
  const auto id = store_->register_devices(first, "nvml@a").at(0);
  DeviceInfo again = make_device(1, "GPU-1234");
  again.name = "";
  again.power_limit_default_w.reset();
  again.mem_total_mib = 40960;
  const std::vector<DeviceInfo> second{again};
  EXPECT_EQ(store_->register_devices(second, "import:x.csv").at(0), id);
  const auto stored = store_->devices();
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0].origin, "import:x.csv");
  EXPECT_EQ(stored[0].info.index, 1);
  EXPECT_EQ(stored[0].info.name, "NVIDIA Test GPU");
  EXPECT_EQ(stored[0].info.power_limit_default_w, 700);
  EXPECT_EQ(stored[0].info.mem_total_mib, 40960);
}

TEST_F(StoreDevicesTest, FindDeviceBySelectorRules) {
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-abc-1"), make_device(1, "GPU-abd-2"),
                                        make_device(1, "GPU-xyz-3")};
  const auto ids = store_->register_devices(devices, "nvml@host");
  store_->append(ids, std::vector<Sample>{make_sample(0, kT0, {{Metric::power_w, 1}}),
                                          make_sample(0, kT0 + 500, {{Metric::power_w, 2}})});
  EXPECT_EQ(store_->find_device("#" + std::to_string(ids[1])).id, ids[1]);
  EXPECT_EQ(store_->find_device("GPU-xyz-3").id, ids[2]);
  EXPECT_EQ(store_->find_device("GPU-abd").id, ids[1]);
  EXPECT_EQ(store_->find_device("GPU-x").id, ids[2]);
  const auto by_index = store_->find_device("0");
  EXPECT_EQ(by_index.id, ids[0]);
  EXPECT_EQ(by_index.sample_count, 2);
  EXPECT_EQ(by_index.first_ms, kT0);
  EXPECT_EQ(by_index.last_ms, kT0 + 500);

  expect_selector_error("GPU-ab", {"ambiguous", "GPU-abc-1 (nvml@host)", "GPU-abd-2 (nvml@host)"});
  expect_selector_error("1", {"2 devices have index 1", "GPU-abd-2", "GPU-xyz-3"});
  expect_selector_error("#99", {"#99", "no device with that id", "GPU-abc-1"});
  expect_selector_error("#x", {"no device with that id"});
  expect_selector_error("GPU-zzz", {"no such device", path(), "GPU-xyz-3"});
  expect_selector_error("7", {"no such device"});
  expect_selector_error("", {"no such device"});
}

TEST_F(StoreDevicesTest, FindDeviceInEmptyStore) { expect_selector_error("0", {"holds no devices"}); }

}  // namespace
}  // namespace gpuopt::test
