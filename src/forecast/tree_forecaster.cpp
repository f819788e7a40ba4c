// tree:xgboost -- one gradient-boosted regressor per channel x horizon on lag features,
// predicting the change from the last value in window-scale units.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/ml/tabular.hpp"
#include "lag_features.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::size_t kMaxTreeRows = 30000;  // XGBoost's cost grows with rows; more adds little
constexpr int kRounds = 100;
constexpr int kDepth = 4;  // deeper trees memorized the training traces' patterns
// Changes are clipped to this many window scales: a job starting or ending moves memory or power
// by dozens of idle-level scales, and a few such rows would dominate the squared-error fit.
constexpr float kMaxDelta = 0.15F;

std::string section_name(std::size_t c, std::size_t h) {
  return fmt::format("xgb/{}/{}", all_channels()[c].name, h);
}

class TreeForecaster final : public Forecaster {
 public:
  using Forecaster::Forecaster;
  std::string name() const override { return "tree:xgboost"; }

  void fit(std::span<const WindowRef> windows, const TrainOptions& options) override {
    const std::size_t rows = std::min(windows.size(), kMaxTreeRows);
    ml::FeatureMatrix x;
    x.rows = rows;
    x.cols = kLagFeatureCount;
    x.values.resize(rows * kLagFeatureCount);
    std::vector<ChannelValues> last(rows), scales(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      last[r] = last_values(windows[r], spec().window);
      scales[r] = window_scales(windows[r], spec().window);
      lag_features(windows[r], last[r], scales[r], std::span<float>(x.values).subspan(r * x.cols, x.cols));
    }
    const std::size_t horizons = spec().horizons.size();
    models_.clear();
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      for (std::size_t h = 0; h < horizons; ++h) {
        if (options.stop && options.stop->load()) return;
        fit_one(windows, x, last, scales, c, h, options);
        if (options.on_progress)
          options.on_progress(static_cast<double>(c * horizons + h + 1) / spec().outputs());
      }
    }
  }

  void predict(std::span<const WindowRef> windows, std::span<float> out) const override {
    ml::FeatureMatrix x;
    x.rows = windows.size();
    x.cols = kLagFeatureCount;
    x.values.resize(x.rows * x.cols);
    std::vector<ChannelValues> last(x.rows), scales(x.rows);
    for (std::size_t r = 0; r < x.rows; ++r) {
      last[r] = last_values(windows[r], spec().window);
      scales[r] = window_scales(windows[r], spec().window);
      lag_features(windows[r], last[r], scales[r], std::span<float>(x.values).subspan(r * x.cols, x.cols));
    }
    const std::size_t horizons = spec().horizons.size();
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      for (std::size_t h = 0; h < horizons; ++h) {
        const auto it = models_.find(c * horizons + h);
        const std::vector<float> delta =
            it == models_.end() ? std::vector<float>(x.rows, 0.0F) : it->second->predict(x);
        for (std::size_t r = 0; r < x.rows; ++r) {
          out[output_index(spec(), r, c, h)] =
              clamp_to_range(static_cast<Channel>(c),
                             last[r][c] + std::clamp(delta[r], -kMaxDelta, kMaxDelta) * scales[r][c]);
        }
      }
    }
  }

 protected:
  void save_state(ml::ModelFile& file) const override {
    const std::size_t horizons = spec().horizons.size();
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& [key, model] : models_) {
      const std::string section = section_name(key / horizons, key % horizons);
      file.sections[section] = model->save();
      outputs.push_back(section);
    }
    file.meta["xgb_outputs"] = outputs;
  }

  // Every section must be one of this spec's channel x horizon models; a file that lists its
  // trained outputs (meta "xgb_outputs", written since 2026-12) must hold exactly those. A file
  // with neither sections nor that list is another model's file relabelled: refused.
  void load_state(const ml::ModelFile& file, const std::string& name) override {
    const std::size_t horizons = spec().horizons.size();
    std::map<std::string, std::size_t> known;
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      for (std::size_t h = 0; h < horizons; ++h) known[section_name(c, h)] = c * horizons + h;
    }
    for (const auto& [section, bytes] : file.sections) {
      if (!known.contains(section)) {
        throw ParseError(name, 0, section, "section of another model; not a tree:xgboost forecaster file");
      }
    }
    const auto listed = file.meta.find("xgb_outputs");
    if (listed == file.meta.end() && file.sections.empty()) {
      throw ParseError(name, 0, "xgb_outputs",
                       "missing, and the file holds no tree: not a tree:xgboost forecaster file");
    }
    if (listed != file.meta.end()) {
      if (!listed->is_array()) throw ParseError(name, 0, "xgb_outputs", "expected an array of section names");
      for (const auto& section : *listed) {
        if (!section.is_string() || !file.sections.contains(section.get<std::string>())) {
          throw ParseError(name, 0, "xgb_outputs", fmt::format("section {} missing", section.dump()));
        }
      }
      if (listed->size() != file.sections.size()) {
        throw ParseError(name, 0, "xgb_outputs", "the file holds sections it does not list");
      }
    }
    models_.clear();
    for (const auto& [section, bytes] : file.sections) {
      auto model = ml::make_tree_regressor("tree:xgboost", {});
      try {
        model->load(bytes);
      } catch (const Error& e) {
        throw ParseError(name, 0, section, e.what());
      }
      models_[known.at(section)] = std::move(model);
    }
  }

 private:
  // Channels without a target in the training windows get no model (they forecast no change).
  void fit_one(std::span<const WindowRef> windows, const ml::FeatureMatrix& x,
               const std::vector<ChannelValues>& last, const std::vector<ChannelValues>& scales,
               std::size_t c, std::size_t h, const TrainOptions& options) {
    ml::FeatureMatrix xs;
    xs.cols = x.cols;
    std::vector<float> y;
    for (std::size_t r = 0; r < x.rows; ++r) {
      const float truth = windows[r].history.values[c][windows[r].end + spec().horizon_steps(h)];
      if (std::isnan(truth) || std::isnan(last[r][c]) || std::isnan(scales[r][c])) continue;
      y.push_back(std::clamp((truth - last[r][c]) / scales[r][c], -kMaxDelta, kMaxDelta));
      const auto row = x.row(r);
      xs.values.insert(xs.values.end(), row.begin(), row.end());
    }
    xs.rows = y.size();
    if (xs.rows < 100) return;
    ml::TreeOptions tree;
    tree.seed = options.seed;
    tree.threads = options.threads;
    tree.rounds = kRounds;
    tree.max_depth = kDepth;
    auto model = ml::make_tree_regressor("tree:xgboost", tree);
    model->fit(xs, y, {});
    models_[c * spec().horizons.size() + h] = std::move(model);
  }

  std::map<std::size_t, std::unique_ptr<ml::TabularRegressor>> models_;  // key: channel * horizons + h
};

}  // namespace

std::unique_ptr<Forecaster> make_tree_forecaster(const ForecastSpec& spec) {
  return std::make_unique<TreeForecaster>(spec);
}

}  // namespace gpuopt::forecast
