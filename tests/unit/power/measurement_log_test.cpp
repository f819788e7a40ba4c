// The measurements of one job and the noise estimated from their sub-windows.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "measurement_log.hpp"

namespace gpuopt::power {
namespace {

TEST(MeasurementLog, ExactWindowsHaveNoNoiseAndExactMeans) {
  MeasurementLog log;
  const std::vector<Measurement> parts(4, Measurement{300, 0.1234567, 251.7});
  log.add(parts, 5);
  log.add(parts, 10);
  ASSERT_EQ(log.settings().size(), 1u);
  EXPECT_EQ(log.settings()[0].iterations, 60);
  EXPECT_EQ(log.settings()[0].mean.time_per_iteration_s, 0.1234567);
  EXPECT_EQ(log.settings()[0].mean.avg_power_w, 251.7);
  EXPECT_EQ(log.log_var(20), 0);
  EXPECT_EQ(log.log_var_upper(20), 0);
  EXPECT_EQ(log.windows(), 2);
}

TEST(MeasurementLog, NoiseFromTheSpreadOfSubWindowsScalesWithLength) {
  MeasurementLog log;
  // Log values +-d around the window's mean, in time and in power.
  const double d = 0.02;
  std::vector<Measurement> parts;
  for (const double sign : {1.0, -1.0, 1.0, -1.0}) {
    parts.push_back({200, std::exp(sign * d), 100 * std::exp(sign * d)});
  }
  log.add(parts, 5);
  const double per_iteration = 5 * 8 * d * d / 6;  // 8 squared deviations over 2 x 3 degrees of freedom
  EXPECT_NEAR(log.log_var(1), per_iteration, 1e-12);
  EXPECT_NEAR(log.log_var(20), per_iteration / 20, 1e-12);
  EXPECT_GT(log.log_var_upper(20), log.log_var(20));  // few degrees of freedom: a cautious bound
  EXPECT_NEAR(log.settings()[0].mean.time_per_iteration_s, std::cosh(d), 1e-12);
}

TEST(MeasurementLog, SettingsKeepTheirFirstMeasuredOrder) {
  MeasurementLog log;
  log.add(std::vector<Measurement>{{300, 1, 200}}, 20);
  log.add(std::vector<Measurement>{{250, 2, 150}}, 20);
  log.add(std::vector<Measurement>{{300, 3, 100}}, 20);
  ASSERT_EQ(log.settings().size(), 2u);
  EXPECT_EQ(log.settings()[0].mean.knob, 300);
  EXPECT_DOUBLE_EQ(log.settings()[0].mean.time_per_iteration_s, 2);
  EXPECT_DOUBLE_EQ(log.find(300)->mean.avg_power_w, 150);
  EXPECT_EQ(log.find(275), nullptr);
  EXPECT_THROW(log.add(std::vector<Measurement>{}, 20), std::invalid_argument);
}

}  // namespace
}  // namespace gpuopt::power
