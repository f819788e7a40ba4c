// CurvePrior <-> JSON: {"format":"gpuopt-power-prior/1","knob":...,"knots":[...],"curves":N,
// "time":{"mean_map":[[...]],"cov":[[...]],"residual_var":v},"power":{...}}.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "transfer_model.hpp"

namespace gpuopt::power {
namespace {

constexpr const char* kFormat = "gpuopt-power-prior/1";

nlohmann::json matrix_json(const Eigen::MatrixXd& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
    rows.push_back(row);
  }
  return rows;
}

Eigen::MatrixXd matrix_from(const nlohmann::json& j, Eigen::Index rows, Eigen::Index cols, const char* what,
                            const std::string& source) {
  if (!j.is_array() || static_cast<Eigen::Index>(j.size()) != rows) {
    throw UsageError(fmt::format("{}: '{}' must have {} rows", source, what, rows));
  }
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const auto& row = j[static_cast<std::size_t>(r)];
    if (!row.is_array() || static_cast<Eigen::Index>(row.size()) != cols) {
      throw UsageError(fmt::format("{}: '{}' row {} must have {} values", source, what, r, cols));
    }
    for (Eigen::Index c = 0; c < cols; ++c) m(r, c) = row[static_cast<std::size_t>(c)].get<double>();
  }
  return m;
}

}  // namespace

std::string CurvePrior::to_json() const {
  nlohmann::json out{
      {"format", kFormat}, {"knob", power::to_string(knob_)}, {"knots", knots_}, {"curves", curves_}};
  const char* names[2] = {"time", "power"};
  for (int o = 0; o < 2; ++o) {
    out[names[o]] = {{"mean_map", matrix_json(mean_map_[o])},
                     {"cov", matrix_json(cov_[o])},
                     {"residual_var", residual_var_[o]}};
  }
  return out.dump(1);
}

CurvePrior CurvePrior::from_json(const std::string& text, const std::string& source) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("format", "") != kFormat) {
    throw UsageError(fmt::format("{}: not a {} file", source, kFormat));
  }
  try {
    const std::string knob = j.at("knob").get<std::string>();
    CurvePrior prior(knob == "sm_clock_mhz" ? Knob::sm_clock_mhz : Knob::power_limit_w);
    if (j.at("knots").get<std::vector<double>>() != prior.knots_) {
      throw UsageError(fmt::format("{}: its knots differ from this version's basis", source));
    }
    prior.curves_ = j.at("curves").get<int>();
    const auto m = static_cast<Eigen::Index>(prior.knots_.size());
    const auto f = prior.features(1.0).size();
    const char* names[2] = {"time", "power"};
    for (int o = 0; o < 2; ++o) {
      const auto& part = j.at(names[o]);
      prior.mean_map_[o] = matrix_from(part.at("mean_map"), f, m, "mean_map", source);
      prior.cov_[o] = matrix_from(part.at("cov"), m, m, "cov", source);
      prior.residual_var_[o] = part.at("residual_var").get<double>();
    }
    return prior;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: {}", source, e.what()));
  }
}

}  // namespace gpuopt::power
