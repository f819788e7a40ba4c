// scores_table / scores_json (evaluation.hpp).
#include <fmt/format.h>

#include "gpuopt/memory/evaluation.hpp"

namespace gpuopt::memory {

std::string scores_table(std::span<const ModelScores> rows) {
  std::string out =
      fmt::format("{:<22} {:>5} {:>10} {:>9} {:>9} {:>6} {:>6} {:>7} {:>6} {:>6} {:>9} {:>8} {:>10}\n",
                  "model", "n", "MSE", "RMSE MiB", "MAE MiB", "R2", "MAPE%", "medAPE%", "under%", "cover%",
                  "overprov%", "train s", "predict us");
  for (const ModelScores& r : rows) {
    const ml::RegressionScores& s = r.scores;
    out += fmt::format(
        "{:<22} {:>5} {:>10.3e} {:>9.0f} {:>9.0f} {:>6.3f} {:>6.1f} {:>7.1f} {:>6.1f} {:>6.1f} {:>9.1f} "
        "{:>8.1f} "
        "{:>10.1f}\n",
        r.name, s.n, s.mse, s.rmse, s.mae, s.r2, 100 * s.mape, 100 * s.median_ape, 100 * s.under_pred_rate,
        100 * r.bound.coverage, 100 * r.bound.median_overprov, r.train_s, r.predict_us);
  }
  return out;
}

nlohmann::json scores_json(std::span<const ModelScores> rows) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelScores& r : rows) {
    const ml::RegressionScores& s = r.scores;
    models.push_back({{"name", r.name},
                      {"n", s.n},
                      {"mse", s.mse},
                      {"rmse_mib", s.rmse},
                      {"mae_mib", s.mae},
                      {"r2", s.r2},
                      {"mape", s.mape},
                      {"median_ape", s.median_ape},
                      {"under_pred_rate", s.under_pred_rate},
                      {"bound_coverage", r.bound.coverage},
                      {"bound_median_overprov", r.bound.median_overprov},
                      {"train_s", r.train_s},
                      {"predict_us", r.predict_us}});
  }
  return {{"models", models}};
}

}  // namespace gpuopt::memory
