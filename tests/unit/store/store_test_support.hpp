// Fixtures for the store tests: a fresh temporary directory per test and sample builders.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/store.hpp"

namespace gpuopt::test {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("gpuopt_store_" + std::to_string(getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name = "gpuopt.db") const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

inline DeviceInfo make_device(int index, std::string uuid) {
  DeviceInfo d;
  d.index = index;
  d.uuid = std::move(uuid);
  d.name = "NVIDIA Test GPU";
  d.pci_bus_id = "00000000:0" + std::to_string(index) + ":00.0";
  d.mem_total_mib = 81559;
  d.power_limit_default_w = 700;
  return d;
}

inline Sample make_sample(int gpu, EpochMs time_ms, std::initializer_list<std::pair<Metric, double>> values) {
  Sample s;
  s.gpu = gpu;
  s.time_ms = time_ms;
  for (const auto& [metric, value] : values) s.values.set(metric, value);
  return s;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// 2025-07-27T00:00:00Z: a minute-aligned start for test series.
inline constexpr EpochMs kT0 = 1753574400000;

// A fresh store holding two devices: "GPU-aaaa" (index 0) and "GPU-bbbb" (index 1).
class TwoDeviceStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    store_.emplace(Store::open(path()));
    const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa"), make_device(1, "GPU-bbbb")};
    ids_ = store_->register_devices(devices, "sim@test");
  }

  std::optional<Store> store_;
  std::vector<DeviceId> ids_;
};

}  // namespace gpuopt::test
