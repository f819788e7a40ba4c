// Objective math and parsing.
#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/objective.hpp"
#include "gpuopt/power/optimizer.hpp"

namespace gpuopt::power {
namespace {

TEST(Objective, ZeusCostWeighsEnergyAgainstMaxPowerTimesTime) {
  Objective o;
  o.eta = 0.25;
  EXPECT_DOUBLE_EQ(o.job_cost(1000, 10, 300), 0.25 * 1000 + 0.75 * 300 * 10);
  EXPECT_DOUBLE_EQ(o.rate(2, 100, 300), 2 * (0.25 * 100 + 0.75 * 300));
}

TEST(Objective, EnergyDelayAndSlowdownBoundCosts) {
  const Objective ed = make_objective(0.5, "", true);
  EXPECT_DOUBLE_EQ(ed.job_cost(10, 3, 0), 30);
  EXPECT_DOUBLE_EQ(ed.rate(2, 5, 0), 20);
  const Objective bound = make_objective(0.5, "5%", false);
  EXPECT_EQ(bound.kind, Objective::Kind::max_slowdown);
  EXPECT_DOUBLE_EQ(bound.max_slowdown, 0.05);
  EXPECT_DOUBLE_EQ(make_objective(0.5, "0.1", false).max_slowdown, 0.1);
}

TEST(Objective, BadOptionsNameTheOption) {
  EXPECT_THROW(make_objective(1.5, "", false), UsageError);
  try {
    make_objective(0.5, "fast", false);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--max-slowdown 'fast'"), std::string::npos);
  }
  EXPECT_THROW(make_objective(0.5, "0%", false), UsageError);
  EXPECT_THROW(make_objective(0.5, "150%", false), UsageError);
}

TEST(SelectSetting, ZeusSelectorsOverMeasuredWindows) {
  const std::vector<Measurement> measured{{300, 1.00, 280}, {250, 1.03, 240}, {200, 1.20, 195}};
  Objective zeus;
  EXPECT_EQ(select_setting(measured, zeus, 300), 250);
  const Objective bound = make_objective(0.5, "5%", false);
  EXPECT_EQ(select_setting(measured, bound, 300), 250);
  const Objective loose = make_objective(0.5, "25%", false);
  EXPECT_EQ(select_setting(measured, loose, 300), 200);
}

}  // namespace
}  // namespace gpuopt::power
