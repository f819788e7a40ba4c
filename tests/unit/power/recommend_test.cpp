// Recommendations from telemetry with the shipped curve model.
#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/recommend.hpp"
#include "synthetic_curves.hpp"

namespace gpuopt::power {
namespace {

TEST(Recommend, ABusyGpuGetsALowerLimitWithItsExpectedEffect) {
  const auto r = recommend_power_limit({230, 300, 100, 300}, Objective{});
  EXPECT_LT(r.power_limit_w, 300);
  EXPECT_GE(r.power_limit_w, 100);
  EXPECT_GT(r.expected_energy_saving, 0);
  EXPECT_GT(r.expected_cost_saving, 0.005);
  EXPECT_NE(r.why.find("230 W on average under a 300 W limit"), std::string::npos) << r.why;
}

TEST(Recommend, ASlowdownBoundIsRespectedInExpectation) {
  const auto r = recommend_power_limit({230, 300, 100, 300}, make_objective(0.5, "2%", false));
  EXPECT_LE(r.expected_slowdown, 0.02);
}

TEST(Recommend, AGpuFarBelowItsLimitKeepsTheMaximum) {
  const auto r = recommend_power_limit({45, 400, 100, 400}, Objective{});
  EXPECT_EQ(r.power_limit_w, 400);
  EXPECT_NE(r.why.find("the maximum limit stays"), std::string::npos) << r.why;
}

TEST(Recommend, AUserPriorIsUsedAndBadInputIsRefused) {
  std::vector<JobCurve> curves;
  for (const double draw : {150.0, 200.0, 250.0}) curves.push_back(test::synthetic_curve("a", draw, 1.0));
  const std::string prior = fit_prior_json(curves);
  EXPECT_NE(recommend_power_limit({200, 300, 100, 300}, Objective{}, prior).why.find("on 3 measured jobs"),
            std::string::npos);
  EXPECT_THROW(recommend_power_limit({0, 300, 100, 300}, Objective{}), UsageError);
  EXPECT_THROW(recommend_power_limit({200, 300, 0, 0}, Objective{}), UsageError);
  EXPECT_THROW(recommend_power_limit({200, 300, 100, 300}, Objective{}, "{}"), UsageError);
}

}  // namespace
}  // namespace gpuopt::power
