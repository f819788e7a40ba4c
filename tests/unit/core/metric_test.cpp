#include <gtest/gtest.h>

#include "gpuopt/metric.hpp"

namespace gpuopt {
namespace {

TEST(Metric, LooksUpShortColumnAndSmiNames) {
  EXPECT_EQ(metric_from_name("power"), Metric::power_w);
  EXPECT_EQ(metric_from_name("power_w"), Metric::power_w);
  EXPECT_EQ(metric_from_name("power.draw"), Metric::power_w);
  EXPECT_EQ(metric_from_name("memory.used"), Metric::mem_used_mib);
  EXPECT_EQ(metric_from_name("nonsense"), std::nullopt);
  EXPECT_EQ(metric_from_name(""), std::nullopt);
}

TEST(Metric, TableIsCompleteAndIndexed) {
  ASSERT_EQ(all_metrics().size(), kMetricCount);
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const auto& info = all_metrics()[i];
    EXPECT_EQ(static_cast<std::size_t>(info.metric), i);
    EXPECT_FALSE(info.name.empty());
    EXPECT_EQ(metric_from_name(info.name), info.metric);
  }
  EXPECT_NE(metric_names_list().find("gpu_util"), std::string_view::npos);
}

TEST(MetricValues, AbsentIsNotZero) {
  MetricValues v;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.get(Metric::power_w), std::nullopt);
  v.set(Metric::power_w, 0.0);
  ASSERT_TRUE(v.get(Metric::power_w).has_value());
  EXPECT_EQ(*v.get(Metric::power_w), 0.0);
  v.set(Metric::power_w, std::optional<double>{});
  EXPECT_FALSE(v.has(Metric::power_w));
}

TEST(MetricValues, EqualityIgnoresAbsentSlots) {
  MetricValues a, b;
  a.set(Metric::temperature_c, 50);
  a.clear(Metric::temperature_c);
  EXPECT_EQ(a, b);
  a.set(Metric::gpu_util_pct, 3);
  EXPECT_FALSE(a == b);
  b.set(Metric::gpu_util_pct, 3);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gpuopt
