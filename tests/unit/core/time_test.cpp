#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt {
namespace {

TEST(Time, ParsesNvidiaSmiTimestamps) {
  // 2025-07-27T00:22:27.858Z
  EXPECT_EQ(parse_timestamp("2025/07/27 00:22:27.858"), 1753575747858);
  EXPECT_EQ(parse_timestamp(" 2025/07/27 00:22:27.858 "), 1753575747858);
  EXPECT_EQ(parse_timestamp("2025/07/27 00:22:27"), 1753575747000);
  EXPECT_EQ(parse_timestamp("2025-07-27T00:22:27.8Z"), 1753575747800);
  EXPECT_EQ(parse_timestamp("1970-01-01 00:00:00"), 0);
}

TEST(Time, RejectsNonTimestamps) {
  for (const char* bad : {"", "2025/07/27", "2025/13/27 00:00:00", "2025/07/27 25:00:00",
                          "2025/07/27 00:22:27.", "025/07/27 00:22:27.858", "yesterday"}) {
    EXPECT_EQ(parse_timestamp(bad), std::nullopt) << bad;
  }
}

TEST(Time, FormatsIso8601RoundTrip) {
  EXPECT_EQ(format_iso8601(1753575747858), "2025-07-27T00:22:27.858Z");
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(parse_timestamp(format_iso8601(1753575747858)), 1753575747858);
}

TEST(Time, ParsesTimeArguments) {
  const EpochMs now = 1753575747858;
  EXPECT_EQ(parse_time_arg("now", now), now);
  EXPECT_EQ(parse_time_arg("-1h", now), now - 3600000);
  EXPECT_EQ(parse_time_arg("1753575747", now), 1753575747000);
  EXPECT_EQ(parse_time_arg("1753575747858", now), 1753575747858);
  EXPECT_EQ(parse_time_arg("2025-07-27T00:22:27Z", now), 1753575747000);
  EXPECT_THROW(parse_time_arg("last tuesday", now), UsageError);
}

}  // namespace
}  // namespace gpuopt
