#include "transfer_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::power {
namespace {

constexpr double kRidge = 1e-3;     // per-curve weight fit
constexpr double kCovFloor = 1e-4;  // keeps the prior covariance positive definite
constexpr double kResidualFloor = 1e-5;

// Normal draws from a seeded splitmix64 stream (the same on every platform).
class NormalStream {
 public:
  explicit NormalStream(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 7) {}
  double next() {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  double uniform() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
  }
  std::uint64_t state_;
};

struct CurveFit {
  Eigen::VectorXd features;
  Eigen::VectorXd weights[2];
};

}  // namespace

CurvePrior::CurvePrior(Knob knob) : knob_(knob) {
  // Where curves bend: power limits around the unconstrained draw (x = 1), clocks below the maximum.
  knots_ = knob == Knob::power_limit_w ? std::vector<double>{1.6, 1.3, 1.15, 1.0, 0.85, 0.7, 0.55, 0.4}
                                       : std::vector<double>{1.0, 0.85, 0.7, 0.55, 0.4};
  const auto m = static_cast<Eigen::Index>(knots_.size());
  const auto f = features(1.0).size();
  for (int o = 0; o < 2; ++o) {
    mean_map_[o] = Eigen::MatrixXd::Zero(f, m);
    cov_[o] = Eigen::MatrixXd::Identity(m, m);
  }
}

double CurvePrior::position(double setting, double max_setting, double power_at_max_w) const {
  return knob_ == Knob::power_limit_w ? setting / power_at_max_w : setting / max_setting;
}

Eigen::VectorXd CurvePrior::basis(double x, double x_max) const {
  Eigen::VectorXd phi(static_cast<Eigen::Index>(knots_.size()));
  for (std::size_t j = 0; j < knots_.size(); ++j) {
    phi[static_cast<Eigen::Index>(j)] = std::max(0.0, knots_[j] - x) - std::max(0.0, knots_[j] - x_max);
  }
  return phi;
}

Eigen::VectorXd CurvePrior::features(double x_max) const {
  if (knob_ == Knob::sm_clock_mhz) return Eigen::VectorXd::Ones(1);
  Eigen::VectorXd f(2);
  f << 1.0, std::log(std::max(x_max, 1e-3));
  return f;
}

CurvePrior CurvePrior::uninformed(Knob knob) { return CurvePrior(knob); }

CurvePrior CurvePrior::fit(const std::vector<JobCurve>& training, Knob knob) {
  CurvePrior prior(knob);
  const auto m = static_cast<Eigen::Index>(prior.knots_.size());
  std::vector<CurveFit> fits;
  double residual_sum[2] = {0, 0};
  double residual_count = 0;
  for (const JobCurve& curve : training) {
    if (curve.knob != knob || curve.points.size() < 3) continue;
    const OperatingPoint& top = curve.points.back();
    const double x_max = prior.position(top.knob, top.knob, top.avg_power_w);
    const auto n = static_cast<Eigen::Index>(curve.points.size() - 1);
    Eigen::MatrixXd phi(n, m);
    Eigen::VectorXd y[2] = {Eigen::VectorXd(n), Eigen::VectorXd(n)};
    for (Eigen::Index i = 0; i < n; ++i) {
      const OperatingPoint& p = curve.points[static_cast<std::size_t>(i)];
      phi.row(i) = prior.basis(prior.position(p.knob, top.knob, top.avg_power_w), x_max).transpose();
      y[0][i] = std::log(p.time_s / top.time_s);
      y[1][i] = std::log(p.avg_power_w / top.avg_power_w);
    }
    const Eigen::MatrixXd gram = phi.transpose() * phi + kRidge * Eigen::MatrixXd::Identity(m, m);
    const Eigen::LDLT<Eigen::MatrixXd> solver(gram);
    CurveFit fit{prior.features(x_max), {}};
    for (int o = 0; o < 2; ++o) {
      fit.weights[o] = solver.solve(phi.transpose() * y[o]);
      residual_sum[o] += (y[o] - phi * fit.weights[o]).squaredNorm();
    }
    residual_count += static_cast<double>(n);
    fits.push_back(std::move(fit));
  }
  if (fits.empty()) {
    throw Error(fmt::format(  // a data condition: exit 1
        "no training curve of kind {} with at least 3 points to pretrain the gpuopt model", to_string(knob)));
  }
  const auto count = static_cast<Eigen::Index>(fits.size());
  const auto f = fits.front().features.size();
  Eigen::MatrixXd features(count, f);
  for (Eigen::Index i = 0; i < count; ++i)
    features.row(i) = fits[static_cast<std::size_t>(i)].features.transpose();
  const Eigen::MatrixXd feature_gram =
      features.transpose() * features + 1e-6 * Eigen::MatrixXd::Identity(f, f);
  for (int o = 0; o < 2; ++o) {
    Eigen::MatrixXd weights(count, m);
    for (Eigen::Index i = 0; i < count; ++i)
      weights.row(i) = fits[static_cast<std::size_t>(i)].weights[o].transpose();
    prior.mean_map_[o] = feature_gram.ldlt().solve(features.transpose() * weights);
    const Eigen::MatrixXd centred = weights - features * prior.mean_map_[o];
    prior.cov_[o] = centred.transpose() * centred / static_cast<double>(count) +
                    kCovFloor * Eigen::MatrixXd::Identity(m, m);
    prior.residual_var_[o] = std::max(kResidualFloor, residual_sum[o] / std::max(1.0, residual_count));
  }
  prior.curves_ = static_cast<int>(count);
  return prior;
}

CurvePosterior::CurvePosterior(const CurvePrior& prior, double max_setting, double time_at_max_s,
                               double power_at_max_w)
    : prior_(&prior),
      max_setting_(max_setting),
      time_at_max_s_(time_at_max_s),
      power_at_max_w_(power_at_max_w),
      x_max_(prior.position(max_setting, max_setting, power_at_max_w)) {
  const Eigen::VectorXd f = prior.features(x_max_);
  for (int o = 0; o < 2; ++o) {
    mean_[o] = prior.mean_map_[o].transpose() * f;
    cov_[o] = prior.cov_[o];
  }
}

void CurvePosterior::observe(double setting, double time_s, double power_w, double noise_var) {
  const Eigen::VectorXd phi = prior_->basis(prior_->position(setting, max_setting_, power_at_max_w_), x_max_);
  const double y[2] = {std::log(time_s / time_at_max_s_), std::log(power_w / power_at_max_w_)};
  for (int o = 0; o < 2; ++o) {
    // Rank-one Kalman update of a Gaussian weight vector with one linear observation.
    const Eigen::VectorXd s = cov_[o] * phi;
    const double variance = phi.dot(s) + prior_->residual_var_[o] + noise_var;
    const Eigen::VectorXd gain = s / variance;
    mean_[o] += gain * (y[o] - phi.dot(mean_[o]));
    cov_[o] -= gain * s.transpose();
  }
}

double CurvePosterior::mean_time_s(double setting) const {
  const Eigen::VectorXd phi = prior_->basis(prior_->position(setting, max_setting_, power_at_max_w_), x_max_);
  return time_at_max_s_ * std::exp(phi.dot(mean_[0]));
}

double CurvePosterior::mean_power_w(double setting) const {
  const Eigen::VectorXd phi = prior_->basis(prior_->position(setting, max_setting_, power_at_max_w_), x_max_);
  return power_at_max_w_ * std::exp(phi.dot(mean_[1]));
}

void CurvePosterior::sample(std::span<const double> settings, int count, std::uint64_t seed,
                            std::vector<double>& times_s, std::vector<double>& powers_w) const {
  const auto n = settings.size();
  const auto m = mean_[0].size();
  Eigen::MatrixXd phi(static_cast<Eigen::Index>(n), m);
  for (std::size_t k = 0; k < n; ++k) {
    phi.row(static_cast<Eigen::Index>(k)) =
        prior_->basis(prior_->position(settings[k], max_setting_, power_at_max_w_), x_max_).transpose();
  }
  Eigen::MatrixXd factor[2];
  for (int o = 0; o < 2; ++o) {
    const Eigen::MatrixXd sym =
        0.5 * (cov_[o] + cov_[o].transpose()) + 1e-12 * Eigen::MatrixXd::Identity(m, m);
    factor[o] = Eigen::LLT<Eigen::MatrixXd>(sym).matrixL();
  }
  NormalStream normal(seed);
  times_s.assign(n * static_cast<std::size_t>(count), 0);
  powers_w.assign(n * static_cast<std::size_t>(count), 0);
  Eigen::VectorXd z(m);
  for (int s = 0; s < count; ++s) {
    Eigen::VectorXd log_value[2];
    for (int o = 0; o < 2; ++o) {
      for (Eigen::Index j = 0; j < m; ++j) z[j] = normal.next();
      log_value[o] = phi * (mean_[o] + factor[o] * z);
    }
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(s) * n + k;
      const auto row = static_cast<Eigen::Index>(k);
      // The maximum setting was measured: no residual there.
      const double jitter_t =
          settings[k] == max_setting_ ? 0.0 : std::sqrt(prior_->residual_var_[0]) * normal.next();
      const double jitter_p =
          settings[k] == max_setting_ ? 0.0 : std::sqrt(prior_->residual_var_[1]) * normal.next();
      times_s[i] = time_at_max_s_ * std::exp(log_value[0][row] + jitter_t);
      powers_w[i] = power_at_max_w_ * std::exp(log_value[1][row] + jitter_p);
    }
  }
}

}  // namespace gpuopt::power
