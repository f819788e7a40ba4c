// The trace-driven GPU model: interpolation, the candidate grid and a job's accounting.
#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/simulator.hpp"
#include "synthetic_curves.hpp"

namespace gpuopt::power {
namespace {

JobCurve two_points() {
  JobCurve c;
  c.gpu = "x";
  c.workload = "w";
  c.unit = "epoch";
  c.iterations_per_unit = 10;
  c.points = {{100, 20, 90}, {200, 10, 150}};
  return c;
}

TEST(CurveModel, ExactAtMeasuredPointsAndLinearBetween) {
  const CurveModel model(two_points());
  EXPECT_DOUBLE_EQ(model.time_s(100), 20);
  EXPECT_DOUBLE_EQ(model.avg_power_w(200), 150);
  EXPECT_DOUBLE_EQ(model.time_s(150), 15);
  EXPECT_DOUBLE_EQ(model.avg_power_w(125), 105);
}

TEST(CurveModel, OutsideTheMeasuredRangeIsAnError) {
  const CurveModel model(two_points());
  EXPECT_THROW(model.time_s(99), UsageError);
  EXPECT_THROW(model.avg_power_w(201), UsageError);
}

TEST(CandidateSettings, ZeusGridFromTheMaximumDown) {
  const auto settings = candidate_settings(test::synthetic_curve("g", 200, 1, 250));
  ASSERT_EQ(settings.size(), 7U);
  EXPECT_EQ(settings.front(), 250);
  EXPECT_EQ(settings.back(), 100);
}

TEST(JobRun, AccountsEveryIterationAndProbeTime) {
  JobRun run(two_points(), 100, {});
  const auto m = run.probe(100, 2, 3);  // 5 iterations at 2 s each
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->time_per_iteration_s, 2.0);
  EXPECT_DOUBLE_EQ(run.totals().probe_time_s, 10.0);
  run.run_rest(200);  // 95 iterations at 1 s
  EXPECT_DOUBLE_EQ(run.totals().time_s, 105.0);
  EXPECT_DOUBLE_EQ(run.totals().energy_j, 10 * 90 + 95 * 150);
  EXPECT_EQ(run.iterations_left(), 0);
}

TEST(JobRun, AWindowLongerThanTheRestOfTheEpochIsCut) {
  JobRun run(two_points(), 100, {});
  run.run_for(200, 7);  // 3 iterations left in the first epoch
  EXPECT_FALSE(run.probe(100, 2, 3));
  EXPECT_EQ(run.iterations_done(), 10);
  EXPECT_EQ(run.totals().probes, 0);
}

TEST(JobRun, NoiseIsSeededAndOffByDefault) {
  JobRun a(two_points(), 1000, {0.05, 7});
  JobRun b(two_points(), 1000, {0.05, 7});
  const auto noisy = a.probe(200, 0, 8);
  ASSERT_TRUE(noisy);
  EXPECT_NE(noisy->time_per_iteration_s, 1.0);
  EXPECT_DOUBLE_EQ(noisy->time_per_iteration_s, b.probe(200, 0, 8)->time_per_iteration_s);
  JobRun exact(two_points(), 1000, {});
  EXPECT_DOUBLE_EQ(exact.probe(200, 0, 8)->time_per_iteration_s, 1.0);
  EXPECT_DOUBLE_EQ(a.totals().energy_j, exact.totals().energy_j);  // noise is in the measurement only
}

TEST(JobRun, AWindowInPartsIsOneProbeWithAPartEach) {
  JobRun run(two_points(), 100, {});
  const auto parts = run.probe_parts(100, 1, 7, 3);  // parts of 2, 2 and 3 iterations
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  for (const Measurement& m : *parts) EXPECT_DOUBLE_EQ(m.time_per_iteration_s, 2.0);
  EXPECT_EQ(run.totals().probes, 1);
  EXPECT_EQ(run.iterations_done(), 8);
  EXPECT_THROW(run.probe_parts(100, 0, 2, 3), UsageError);
  EXPECT_FALSE(run.probe_parts(100, 0, 3, 1));  // 2 iterations left in the epoch
  EXPECT_EQ(run.iterations_done(), 10);
}

TEST(JobIterations, FromEpochsAndIterationsPerEpoch) {
  JobCurve c = two_points();
  c.units_per_job = 3;
  EXPECT_EQ(job_iterations(c, 10), 30);
  c.units_per_job = 0;
  EXPECT_EQ(job_iterations(c, 10), 100);
  c.unit = "iteration";
  EXPECT_EQ(job_iterations(c, 2), 2000);
}

}  // namespace
}  // namespace gpuopt::power
