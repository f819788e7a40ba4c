#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt {
namespace {

using std::chrono::milliseconds;

TEST(Units, ParsesDurations) {
  EXPECT_EQ(parse_duration("100ms"), milliseconds(100));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("10m"), milliseconds(600000));
  EXPECT_EQ(parse_duration("2h"), milliseconds(7200000));
  EXPECT_EQ(parse_duration("7d"), milliseconds(604800000));
  EXPECT_EQ(parse_duration("3"), milliseconds(3000));
}

TEST(Units, RejectsBadDurationsWithTheText) {
  for (const char* bad : {"", "ms", "-1s", "10 parsecs", "1e400s", "1.5ms", "0.0001s"}) {
    try {
      parse_duration(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("duration"), std::string::npos) << e.what();
    }
  }
}

TEST(Units, FormatsDurationsShortest) {
  EXPECT_EQ(format_duration(milliseconds(100)), "100ms");
  EXPECT_EQ(format_duration(milliseconds(90000)), "90s");
  EXPECT_EQ(format_duration(milliseconds(600000)), "10m");
  EXPECT_EQ(format_duration(milliseconds(86400000)), "1d");
}

TEST(Units, ParsesPowerClockSize) {
  EXPECT_DOUBLE_EQ(parse_power_w("250W"), 250.0);
  EXPECT_DOUBLE_EQ(parse_power_w("250 W"), 250.0);
  EXPECT_DOUBLE_EQ(parse_power_w("250000mW"), 250.0);
  EXPECT_DOUBLE_EQ(parse_clock_mhz("1.4GHz"), 1400.0);
  EXPECT_DOUBLE_EQ(parse_clock_mhz("1400MHz"), 1400.0);
  EXPECT_EQ(parse_size_bytes("40GiB"), 40ULL << 30);
  EXPECT_EQ(parse_size_bytes("2MB"), 2000000ULL);
  EXPECT_THROW(parse_power_w("250V"), UsageError);
}

TEST(Units, ParsesHostPort) {
  const auto hp = parse_host_port("127.0.0.1:9400");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 9400);
  EXPECT_EQ(parse_host_port(":80").host, "127.0.0.1");
  EXPECT_EQ(parse_host_port("[::1]:9400").host, "::1");
  EXPECT_THROW(parse_host_port("localhost"), UsageError);
  EXPECT_THROW(parse_host_port("localhost:99999"), UsageError);
}

}  // namespace
}  // namespace gpuopt
