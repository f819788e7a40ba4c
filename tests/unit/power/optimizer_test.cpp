// Each optimizer on synthetic curves with a known optimum.
#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/power/evaluate.hpp"
#include "gpuopt/power/optimizer.hpp"
#include "synthetic_curves.hpp"

namespace gpuopt::power {
namespace {

using test::synthetic_curve;

std::vector<JobCurve> training_set(const std::string& gpu) {
  std::vector<JobCurve> out;
  for (const double draw : {120.0, 160.0, 200.0, 240.0, 280.0}) {
    for (const double steepness : {0.8, 1.2, 1.6}) out.push_back(synthetic_curve(gpu, draw, steepness));
  }
  return out;
}

struct Played {
  Choice choice;
  RunTotals totals;
};

Played play(const std::string& name, const JobCurve& job, const Objective& objective,
            const std::vector<JobCurve>& training = {}) {
  const auto optimizer = make_optimizer(name, training);
  JobRun run(job, job_iterations(job, 10), {});
  Choice choice = optimizer->run(run, objective);
  return {choice, run.totals()};
}

double oracle_cost(const JobCurve& job, const Objective& objective) {
  const auto p = play("oracle", job, objective);
  return objective.job_cost(p.totals.energy_j, p.totals.time_s, job.max_knob());
}

TEST(Optimizers, DefaultRunsAtTheMaximum) {
  const auto p = play("default", synthetic_curve("g", 200, 1.2), {});
  EXPECT_EQ(p.choice.knob, 300);
  EXPECT_EQ(p.totals.probes, 0);
}

TEST(Optimizers, OracleFindsTheBestGridPoint) {
  // Drawing 200 W, limits >= 225 W cost nothing; lower ones slow the job for little power.
  const JobCurve job = synthetic_curve("g", 200, 1.2);
  Objective energy = make_objective(0.5, "5%", false);
  const auto p = play("oracle", job, energy);
  EXPECT_EQ(p.choice.knob, 225);
}

TEST(Optimizers, ZeusSweepProfilesEveryLimitThenPicksTheBest) {
  const JobCurve job = synthetic_curve("g", 200, 1.2);
  const auto p = play("zeus-sweep", job, {});
  EXPECT_EQ(p.totals.probes, 9);  // 300 .. 100 W in 25 W steps
  EXPECT_EQ(p.choice.knob, play("oracle", job, {}).choice.knob);
}

TEST(Optimizers, ZeusSweepNeverFinishesWhenEpochsAreShorterThanItsWindow) {
  const JobCurve job = synthetic_curve("g", 200, 1.2, 300, 40, 30);
  const auto p = play("zeus-sweep", job, {});
  EXPECT_EQ(p.totals.probes, 0);
  EXPECT_EQ(p.choice.knob, 300);
  EXPECT_DOUBLE_EQ(p.totals.probe_time_s, p.totals.time_s);
}

TEST(Optimizers, GpuoptComesCloseToTheOracleWithFewerProbes) {
  const auto training = training_set("other");
  const Objective zeus;
  for (const double draw : {140.0, 220.0, 260.0}) {
    const JobCurve job = synthetic_curve("new", draw, 1.0);
    const auto p = play("gpuopt", job, zeus, training);
    const double cost = zeus.job_cost(p.totals.energy_j, p.totals.time_s, job.max_knob());
    EXPECT_LT(cost / oracle_cost(job, zeus), 1.01) << "draw " << draw;
    EXPECT_LT(p.totals.probes, 9) << "draw " << draw;
  }
}

TEST(Optimizers, GpuoptNeverExceedsASlowdownBound) {
  const auto training = training_set("other");
  const Objective bound = make_objective(0.5, "5%", false);
  for (const double draw : {140.0, 220.0, 290.0}) {
    const JobCurve job = synthetic_curve("new", draw, 1.5);
    const auto base = play("default", job, bound);
    const auto p = play("gpuopt", job, bound, training);
    EXPECT_LE(p.totals.time_s, 1.05 * base.totals.time_s + 1e-9) << "draw " << draw;
  }
}

TEST(Optimizers, UnknownNamesListTheValidOnes) {
  try {
    make_optimizer("greedy", {});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown optimizer 'greedy' (valid: default, oracle, zeus-sweep, gpuopt)");
  }
  EXPECT_THROW(make_optimizer("gpuopt", {}), UsageError);  // nothing to pretrain on
}

TEST(Evaluate, LeaveOneGpuOutNeedsAnotherGpu) {
  const std::vector<JobCurve> one_gpu{synthetic_curve("a", 200, 1.0), synthetic_curve("a", 150, 1.0)};
  EXPECT_THROW(evaluate(one_gpu, {}), UsageError);
  EvalOptions options;
  options.holdout_gpu = "b";
  EXPECT_THROW(evaluate(one_gpu, options), UsageError);
}

TEST(Evaluate, ReportsEveryOptimizerAgainstDefaultAndOracle) {
  std::vector<JobCurve> curves = training_set("a");
  curves.push_back(synthetic_curve("b", 210, 1.1));
  EvalOptions options;
  options.holdout_gpu = "b";
  const Evaluation e = evaluate(curves, options);
  ASSERT_EQ(e.results.size(), 4U);
  EXPECT_EQ(e.results[0].optimizer, "default");
  EXPECT_DOUBLE_EQ(e.results[0].energy_saving, 0);
  EXPECT_DOUBLE_EQ(e.results[1].cost_vs_oracle, 1);
  EXPECT_NE(e.results[3].reason.find("pretrained on 15 curves"), std::string::npos);
  EXPECT_GE(e.results[2].cost_vs_oracle, 1);
}

}  // namespace
}  // namespace gpuopt::power
