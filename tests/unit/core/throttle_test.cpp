#include <gtest/gtest.h>

#include "gpuopt/throttle.hpp"

namespace gpuopt {
namespace {

TEST(Throttle, DecodesKnownAndUnknownBits) {
  EXPECT_EQ(format_throttle_reasons(0), "none");
  EXPECT_EQ(format_throttle_reasons(0x4 | 0x40), "sw_power_cap,hw_thermal_slowdown");
  const auto names = decode_throttle_reasons(0x1 | 0x10000);
  ASSERT_EQ(names.size(), 2U);
  EXPECT_EQ(names[0], "gpu_idle");
  EXPECT_EQ(names[1], "0x10000");
}

TEST(Throttle, MapsBothNvidiaSmiSpellings) {
  EXPECT_EQ(throttle_reason_from_smi_field("clocks_event_reasons.sw_power_cap"),
            ThrottleReason::sw_power_cap);
  EXPECT_EQ(throttle_reason_from_smi_field("clocks_throttle_reasons.hw_slowdown"),
            ThrottleReason::hw_slowdown);
  EXPECT_EQ(throttle_reason_from_smi_field("clocks_event_reasons.active"), std::nullopt);
  EXPECT_EQ(throttle_reason_from_smi_field("power.draw"), std::nullopt);
}

}  // namespace
}  // namespace gpuopt
