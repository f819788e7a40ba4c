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
            const std::vector<JobCurve>& training = {}, const NoiseOptions& noise = {}) {
  const auto optimizer = make_optimizer(name, training);
  JobRun run(job, job_iterations(job, 10), noise);
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

TEST(Optimizers, GpuoptKeepsASlowdownBoundUnderMeasurementNoise) {
  // 2 % noise per 40-iteration window: a too-slow limit can look feasible in one window.
  const auto training = training_set("other");
  const Objective bound = make_objective(0.5, "5%", false);
  int over = 0;
  int saved = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    // A gentle slope: limits well below the draw stay within 5 % and save about 10 % energy.
    for (const double draw : {140.0, 220.0, 260.0}) {
      const JobCurve job = synthetic_curve("new", draw, 0.3);
      const auto base = play("default", job, bound);
      const auto p = play("gpuopt", job, bound, training, {0.02, seed});
      over += p.totals.time_s > 1.05 * base.totals.time_s;
      saved += p.totals.energy_j < 0.97 * base.totals.energy_j;
    }
  }
  EXPECT_EQ(over, 0);
  EXPECT_GT(saved, 0);  // caution must not mean never leaving the maximum
}

TEST(Optimizers, GpuoptSaysHowNoisyItsMeasurementsWere) {
  const JobCurve job = synthetic_curve("new", 200, 1.2);
  const auto exact = play("gpuopt", job, {}, training_set("other"));
  EXPECT_EQ(exact.choice.reason.find("noise"), std::string::npos) << exact.choice.reason;
  const auto noisy = play("gpuopt", job, {}, training_set("other"), {0.05, 3});
  EXPECT_NE(noisy.choice.reason.find("noise of a 20-iteration window"), std::string::npos)
      << noisy.choice.reason;
}

// A kernel on a 40-clock grid (600..1380 MHz): time grows below `knee_mhz`, power with the clock.
JobCurve clock_curve(const std::string& gpu, double knee_mhz) {
  JobCurve c;
  c.source = "synthetic";
  c.gpu = gpu;
  c.workload = "kernel/knee" + std::to_string(static_cast<int>(knee_mhz));
  c.knob = Knob::sm_clock_mhz;
  c.unit = "run";
  c.iterations_per_unit = 1;
  for (double mhz = 600; mhz <= 1380; mhz += 20) {
    c.points.push_back({mhz, std::max(1.0, knee_mhz / mhz), 50 + 0.1 * mhz});
  }
  return c;
}

TEST(Optimizers, GpuoptProbesALargeGridCoarseBeforeFine) {
  std::vector<JobCurve> training;
  for (const double knee : {700.0, 800.0, 900.0}) training.push_back(clock_curve("other", knee));
  const auto optimizer = make_optimizer("gpuopt", training, Knob::sm_clock_mhz);
  const JobCurve job = clock_curve("new", 1100);
  JobRun run(job, job_iterations(job, 10), {});
  const Choice choice = optimizer->run(run, make_objective(0.5, "", true));
  // Descending grid of 40: its thirds are indices 13 and 26, 1120 and 860 MHz.
  EXPECT_NE(choice.reason.find("probed 1380 MHz, 1120 MHz, 860 MHz"), std::string::npos) << choice.reason;
}

TEST(Optimizers, UnknownNamesListTheValidOnes) {
  try {
    make_optimizer("greedy", {});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown optimizer 'greedy' (valid: default, oracle, zeus-sweep, gpuopt)");
  }
  EXPECT_THROW(make_optimizer("gpuopt", {}), Error);  // nothing to pretrain on: a data condition
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
