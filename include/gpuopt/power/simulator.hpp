// The trace-driven GPU model (docs/power.md): a measured curve answers time and power at any
// setting between its measured points, and a JobRun plays one training job through it,
// iteration by iteration, accounting everything the optimizer spends (probing included).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gpuopt/power/curve.hpp"

namespace gpuopt::power {

// Interpolates one curve linearly between measured points (time and power separately).
// Immutable and thread-safe.
class CurveModel {
 public:
  // Throws UsageError for a curve without points.
  explicit CurveModel(const JobCurve& curve);

  // Per unit of work (curve.unit) / average W at `knob`; throws UsageError outside
  // [min_knob, max_knob].
  double time_s(double knob) const;
  double avg_power_w(double knob) const;

 private:
  // Index i such that points[i].knob <= knob <= points[i + 1].knob, and the weight of i + 1.
  std::pair<std::size_t, double> locate(double knob) const;
  std::vector<OperatingPoint> points_;
};

// The settings an optimizer may choose for a curve: power limits from the maximum down in
// 25 W steps (the Zeus grid) while >= the minimum; for clocks, the measured clocks. Descending.
std::vector<double> candidate_settings(const JobCurve& curve);

// Measurement noise of the simulated profiler: each measured time and power is multiplied by
// (1 + rel_sigma * sqrt(40 / profiled iterations) * N(0,1)), independently, from a stream seeded
// by `seed` and the job's curve key (jobs get independent noise).
struct NoiseOptions {
  double rel_sigma = 0;  // relative standard deviation of a 40-iteration window
  std::uint64_t seed = 1;
};

// What a profiling window measured.
struct Measurement {
  double knob = 0;
  double time_per_iteration_s = 0;
  double avg_power_w = 0;
};

// Everything a job consumed.
struct RunTotals {
  double time_s = 0;
  double energy_j = 0;
  double probe_time_s = 0;  // time spent in warm-up and profiling windows
  int probes = 0;           // completed profiling windows
};

// One job played through the model. Iterations are grouped in epochs (curves measured per
// epoch) or in blocks of 1000 iterations (other curves) for the epoch-boundary semantics of
// probe(). Not thread-safe.
class JobRun {
 public:
  // `total_iterations` > 0; throws UsageError otherwise.
  JobRun(const JobCurve& curve, std::int64_t total_iterations, const NoiseOptions& noise);

  const JobCurve& curve() const { return curve_; }
  const CurveModel& model() const { return model_; }
  const std::vector<double>& settings() const { return settings_; }
  std::int64_t iterations_per_epoch() const { return epoch_iterations_; }
  std::int64_t iterations_left() const { return total_ - done_; }
  std::int64_t iterations_done() const { return done_; }
  std::int64_t iterations_left_in_epoch() const;

  // Runs `warmup` then `profile` iterations at `knob` and returns the (noisy) measurement of
  // the profiled part. When the epoch (or the job) ends first, the window is cut there, the
  // iterations run so far are spent, and nullopt is returned (Zeus's semantics).
  std::optional<Measurement> probe(double knob, int warmup, int profile);
  // The same window measured as `parts` consecutive sub-windows (the last takes the remainder;
  // 1 <= parts <= profile, else UsageError), each with its own noise: their spread shows how
  // noisy a measurement is. Counts as one probe.
  std::optional<std::vector<Measurement>> probe_parts(double knob, int warmup, int profile, int parts);
  // Runs min(iterations, left) iterations at `knob` without measuring them.
  void run_for(double knob, std::int64_t iterations);
  // Runs every remaining iteration at `knob`.
  void run_rest(double knob);

  const RunTotals& totals() const { return totals_; }

 private:
  void spend(double knob, std::int64_t iterations, bool probing);
  double noise_factor(int profile);

  JobCurve curve_;
  CurveModel model_;
  std::vector<double> settings_;
  std::int64_t total_;
  std::int64_t epoch_iterations_;
  std::int64_t done_ = 0;
  NoiseOptions noise_;
  std::uint64_t rng_state_;
  RunTotals totals_;
};

// Iterations of a whole job: units_per_job (or `default_units` when unknown) times the
// iterations per unit, or for non-epoch curves `default_units` x 1000 iterations. At least 1.
std::int64_t job_iterations(const JobCurve& curve, double default_units);

}  // namespace gpuopt::power
