// The curve model (prior fit, posterior update, JSON round trip) and the audit-event history.
#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "setting_history.hpp"
#include "synthetic_curves.hpp"
#include "transfer_model.hpp"

namespace gpuopt::power {
namespace {

std::vector<JobCurve> training() {
  std::vector<JobCurve> out;
  for (const double draw : {120.0, 180.0, 240.0, 290.0}) out.push_back(test::synthetic_curve("a", draw, 1.0));
  return out;
}

TEST(CurvePrior, NeedsCurvesOfTheKnobKind) {
  // A data condition (exit 1), not a usage error.
  EXPECT_THROW(CurvePrior::fit({}, Knob::power_limit_w), Error);
  EXPECT_THROW(CurvePrior::fit(training(), Knob::sm_clock_mhz), Error);
  EXPECT_EQ(CurvePrior::fit(training(), Knob::power_limit_w).training_curves(), 4);
}

TEST(CurvePrior, PredictsAnUnseenJobAndProbesSharpenIt) {
  const CurvePrior prior = CurvePrior::fit(training(), Knob::power_limit_w);
  const JobCurve job = test::synthetic_curve("b", 210, 1.0);
  const auto& top = job.points.back();
  CurvePosterior posterior(prior, top.knob, top.time_s, top.avg_power_w);
  const double truth = job.points[2].time_s;  // 150 W
  const double before = std::abs(posterior.mean_time_s(150) / truth - 1);
  EXPECT_LT(before, 0.15);
  posterior.observe(150, truth, job.points[2].avg_power_w, 0);
  EXPECT_LT(std::abs(posterior.mean_time_s(150) / truth - 1), std::max(0.01, before / 2));
  EXPECT_DOUBLE_EQ(posterior.mean_time_s(top.knob), top.time_s);
}

TEST(CurvePrior, JsonRoundTripKeepsPredictions) {
  const CurvePrior prior = CurvePrior::fit(training(), Knob::power_limit_w);
  const CurvePrior copy = CurvePrior::from_json(prior.to_json());
  EXPECT_EQ(copy.training_curves(), prior.training_curves());
  const CurvePosterior a(prior, 300, 1, 200);
  const CurvePosterior b(copy, 300, 1, 200);
  EXPECT_NEAR(a.mean_time_s(150), b.mean_time_s(150), 1e-12);
  EXPECT_THROW(CurvePrior::from_json("{\"format\":\"other\"}"), UsageError);
}

Event event(const std::string& kind, const ChangeRecord& r) {
  Event e;
  e.kind = kind;
  e.details_json = to_details_json(r);
  return e;
}

TEST(SettingHistory, PendingWithoutCompletionIsOutstanding) {
  ChangeRecord r;
  r.setting = Setting::power_limit_w;
  r.previous = 300;
  r.target = 250;
  r.baseline = 300;
  r.restore = 300;
  std::vector<Event> events{event("power.pending", r)};
  SettingState s = fold_history(events, Setting::power_limit_w);
  EXPECT_TRUE(s.outstanding);
  EXPECT_EQ(s.restore, 300);
  events.push_back(event("power.apply", r));
  s = fold_history(events, Setting::power_limit_w);
  EXPECT_FALSE(s.outstanding);
  EXPECT_TRUE(s.has_baseline);
  EXPECT_EQ(s.current, 250);
  EXPECT_FALSE(fold_history(events, Setting::sm_clock_mhz).has_baseline);
  events.push_back(event("power.reset", r));
  EXPECT_FALSE(fold_history(events, Setting::power_limit_w).has_baseline);
}

TEST(SettingHistory, TemporaryChangesStayOutstandingAndFailuresRevert) {
  ChangeRecord r;
  r.previous = 300;
  r.target = 200;
  r.baseline = 300;
  r.restore = 300;
  r.temporary = true;
  std::vector<Event> events{event("power.pending", r), event("power.apply", r)};
  EXPECT_TRUE(fold_history(events, Setting::power_limit_w).outstanding);
  ChangeRecord normal = r;
  normal.temporary = false;
  std::vector<Event> failed{event("power.pending", normal), event("power.failed", normal)};
  EXPECT_FALSE(fold_history(failed, Setting::power_limit_w).outstanding);
}

}  // namespace
}  // namespace gpuopt::power
