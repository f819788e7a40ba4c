// Forecasters behind one interface, created by registry name:
//   persistence            the last value, for every horizon
//   moving-average         the mean over the last `horizon` (at least 1 s)
//   phase                  the holding level (src/forecast/holding_level.hpp) until the current
//                          level phase is due to end, then the other phase's level
//                          (src/forecast/phases.hpp); the holding level where no phases are found
//   tree:xgboost           gradient-boosted trees on lag / rolling features, one per channel x horizon
//   seq:gru                GRU over the multi-resolution window, multi-horizon head
//   seq:transformer        Transformer encoder over the same window
//   seq:bigru-transformer  the hybrid: BiGRU feeding Transformer layers
// The sequence models' head also gets the phase forecast and its inputs (long memory beyond the
// 2-minute window); where a channel's phases are found, they leave the phase forecast as it is,
// elsewhere they correct it by a weighed amount (weights per channel x horizon chosen on traces
// held out of most of the training). Learned models predict changes in window-normalized units (window.hpp).
// A forecaster is not thread-safe; predict() may be called concurrently only on separate objects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/forecast/series.hpp"
#include "gpuopt/forecast/window.hpp"
#include "gpuopt/ml/model_file.hpp"

namespace gpuopt::forecast {

struct ForecastSpec {
  std::chrono::milliseconds step{100};
  std::vector<std::chrono::milliseconds> horizons{std::chrono::seconds(1), std::chrono::seconds(5),
                                                  std::chrono::seconds(30)};
  WindowConfig window;
  std::size_t horizon_steps(std::size_t h) const { return static_cast<std::size_t>(horizons[h] / step); }
  std::size_t outputs() const { return kChannelCount * horizons.size(); }  // per window
  std::vector<double> horizons_s() const {
    std::vector<double> out;
    for (const auto& h : horizons) out.push_back(std::chrono::duration<double>(h).count());
    return out;
  }
};

inline constexpr std::chrono::milliseconds kMaxStep = std::chrono::hours(1);      // resampling step
inline constexpr std::chrono::milliseconds kMaxHorizon = std::chrono::hours(24);  // forecast horizon

// "1s,5s,30s" -> durations in increasing order (given in any order); UsageError for a bad or
// non-positive entry, one past kMaxHorizon or given twice, a horizon that is not a multiple of
// `step`, or an empty list.
std::vector<std::chrono::milliseconds> parse_horizons(const std::string& text,
                                                      std::chrono::milliseconds step);

struct TrainOptions {
  std::uint64_t seed = 1;
  double budget_s = 60;          // wall-clock budget of one model's training
  std::size_t max_steps = 3000;  // optimizer steps of a sequence model (deterministic when
                                 // reached before the budget)
  int threads = 1;               // torch / XGBoost threads
  std::function<void(double fraction)> on_progress;  // optional, fraction of the budget done
  const std::atomic<bool>* stop = nullptr;           // optional: stop early, keeping what was learned
};

// Half-width of the calibrated interval, per channel x horizon, in window-scale units: the
// `level` quantile of |error| / scale on windows the model did not train on. NaN = not calibrated.
// Windows whose scale is the channel's floor (at_scale_floor: a GPU near idle, whose next job may
// move it by dozens of floors) are calibrated apart from the others, whose errors are a few scales at
// most; with one quantile for both, a busy 80 GB GPU's memory bound 30 s ahead read 1.4 TB.
struct Calibration {
  double level = 0.95;
  std::vector<float> half_width;           // [channel * horizons + h]: windows above the floor
  std::vector<float> half_width_at_floor;  // the same at the floor; empty (older files): half_width
  float width(std::size_t output, bool at_floor) const {
    return at_floor && !half_width_at_floor.empty() ? half_width_at_floor[output] : half_width[output];
  }
};

class Forecaster {
 public:
  explicit Forecaster(ForecastSpec spec) : spec_(std::move(spec)) {}
  virtual ~Forecaster() = default;
  virtual std::string name() const = 0;
  const ForecastSpec& spec() const { return spec_; }

  // Trains on forecast origins whose targets (end + every horizon) lie inside their history
  // (baselines learn nothing). Throws Error.
  virtual void fit(std::span<const WindowRef> windows, const TrainOptions& options) = 0;

  // out[w * spec().outputs() + channel * horizons + h] = predicted value in the channel's unit,
  // NaN where the window lacks the channel. out.size() must be windows.size() * outputs(). Learned
  // models clamp it into the channel's range (ChannelInfo); the baselines repeat observed values.
  virtual void predict(std::span<const WindowRef> windows, std::span<float> out) const = 0;

  // What the forecaster reads beyond the window -- the channels' level periods and phase switch
  // evidence (WindowRef::periods, switch_evidence) -- found at w.end, for a caller that keeps them
  // between the forecasts of a stream (OnlineForecaster refreshes them once a second). Forecasters
  // that read neither leave them as they are (the default).
  virtual void refresh_long_memory(const WindowRef& w, ChannelPeriods& periods,
                                   ChannelSwitchEvidence& evidence) const {
    (void)w;
    (void)periods;
    (void)evidence;
  }

  // Model file: meta {domain "forecast", model, step_ms, horizons_ms, window, calibration} plus
  // the model's own sections. load() throws ParseError when the file does not fit.
  void save(ml::ModelFile& file) const;
  void load(const ml::ModelFile& file, const std::string& name);

  const Calibration& calibration() const { return calibration_; }
  void set_calibration(Calibration c) { calibration_ = std::move(c); }

 protected:
  virtual void save_state(ml::ModelFile& file) const { (void)file; }
  virtual void load_state(const ml::ModelFile& file, const std::string& name) {
    (void)file;
    (void)name;
  }

 private:
  ForecastSpec spec_;
  Calibration calibration_;
};

// Registry. Throws UsageError for an unknown name, listing the valid ones.
std::unique_ptr<Forecaster> make_forecaster(std::string_view name, const ForecastSpec& spec);
std::vector<std::string> forecaster_names();

// Reads the spec and model name from a model file, builds the forecaster and loads its state.
// Throws UsageError when the file is not a forecast model, ParseError when it is malformed.
std::unique_ptr<Forecaster> load_forecaster(const ml::ModelFile& file, const std::string& name);
std::unique_ptr<Forecaster> load_forecaster_file(const std::string& path);
// The forecaster shipped with gpuopt (models/forecast-default.gpuopt, compiled in).
std::unique_ptr<Forecaster> load_default_forecaster();

}  // namespace gpuopt::forecast
