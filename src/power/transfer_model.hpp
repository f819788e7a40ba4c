// The curve model behind the gpuopt optimizer (docs/power.md, "Transfer learning"). A job's
// curve is seen relative to its measurement at the maximum setting: at setting k,
//   log(t(k) / t_max) = phi(x)' w_t + e_t,   log(P(k) / P_max) = phi(x)' w_p + e_p,
// with x = k / P_max (power limits: the limit as a multiple of the power the job draws
// unconstrained) or x = k / k_max (clocks), and phi hinge functions max(0, c - x) anchored to
// be 0 at the maximum setting. The prior of w is Gaussian with a mean that depends on the
// job's features (log of x at the maximum setting), learned from other jobs' curves
// (empirical Bayes); each probe updates it in closed form (Bayesian linear regression).
// Internal to the power library.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "gpuopt/power/curve.hpp"

namespace gpuopt::power {

class CurvePrior {
 public:
  // Learns the prior from the curves of `knob` kind with at least three points. Throws
  // UsageError when there are none.
  static CurvePrior fit(const std::vector<JobCurve>& training, Knob knob);
  // A broad prior that knows nothing about other jobs (the "without pretraining" baseline).
  static CurvePrior uninformed(Knob knob);
  // The prior as JSON and back (docs/power.md); from_json throws UsageError when malformed.
  std::string to_json() const;
  static CurvePrior from_json(const std::string& text, const std::string& source = "power prior");

  Knob knob() const { return knob_; }
  int training_curves() const { return curves_; }
  // x of a setting: relative to the power at the maximum (power limits) or the maximum clock.
  double position(double setting, double max_setting, double power_at_max_w) const;
  // phi(x) anchored at x_max.
  Eigen::VectorXd basis(double x, double x_max) const;
  // Job features for the prior mean.
  Eigen::VectorXd features(double x_max) const;
  // Variance, in log space, of a point around its smooth curve (0 time, 1 power).
  double residual_var(int output) const { return residual_var_[output]; }

 private:
  friend class CurvePosterior;
  explicit CurvePrior(Knob knob);

  Knob knob_;
  std::vector<double> knots_;
  int curves_ = 0;
  Eigen::MatrixXd mean_map_[2];            // per output (0 time, 1 power): features -> prior mean of w
  Eigen::MatrixXd cov_[2];                 // prior covariance of w
  double residual_var_[2] = {1e-3, 1e-3};  // variance of a point around its smooth curve
};

// The model of one job after its probes. Not thread-safe; cheap to copy.
class CurvePosterior {
 public:
  // From the measurement at the maximum setting.
  CurvePosterior(const CurvePrior& prior, double max_setting, double time_at_max_s, double power_at_max_w);

  // One probe: per-iteration time and power at `setting`; `noise_var` is the variance of the
  // measurement in log space (0 for exact).
  void observe(double setting, double time_s, double power_w, double noise_var);

  // `count` joint draws of (time, power) at each setting (draws[s * n + k] for setting k),
  // including each point's residual around the smooth curve. Deterministic for a seed.
  void sample(std::span<const double> settings, int count, std::uint64_t seed, std::vector<double>& times_s,
              std::vector<double>& powers_w) const;

  // Posterior mean of time and power at a setting (smooth curve, median in log space).
  double mean_time_s(double setting) const;
  double mean_power_w(double setting) const;

 private:
  const CurvePrior* prior_;
  double max_setting_;
  double time_at_max_s_;
  double power_at_max_w_;
  double x_max_;
  Eigen::VectorXd mean_[2];
  Eigen::MatrixXd cov_[2];
};

}  // namespace gpuopt::power
