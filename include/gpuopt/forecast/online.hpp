// Forecasting a live sample stream (`gpuopt serve`): per GPU a window of recent grid steps, a
// forecast whenever a round brings new steps, and the anomaly rules on every step.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "gpuopt/forecast/anomaly.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/sample.hpp"

namespace gpuopt::forecast {

struct GpuForecast {
  EpochMs time_ms = 0;                // the forecast origin (latest grid step)
  std::vector<ForecastPoint> points;  // [channel * horizons + h]
};

struct OnlineAnomaly {
  int gpu = 0;  // Sample::gpu
  Anomaly anomaly;
};

// The channels' level periods (the phase forecast's seasonal candidate) and the evidence of their
// phase switch test are found once every kPeriodRefresh rather than at every step, the
// autocorrelation and the switch test over the phase lookback being most of a forecast's cost;
// between refreshes the forecast uses the last ones.
inline constexpr std::chrono::seconds kPeriodRefresh{1};

// Not thread-safe: one thread feeds it (the sampler's); copy latest() out for other threads.
class OnlineForecaster {
 public:
  // `model` must outlive this. `devices` are the source's, Sample::gpu is their index.
  OnlineForecaster(const Forecaster& model, const std::vector<DeviceInfo>& devices,
                   std::chrono::milliseconds max_gap = std::chrono::seconds(5));

  // One sampling round (at most one sample per GPU, in time order per GPU). A sample older than
  // the GPU's previous one throws ParseError. Returns the anomalies found.
  std::vector<OnlineAnomaly> add(std::span<const Sample> samples);

  // The latest forecast of a GPU; nullopt before it has fine_steps of history.
  std::optional<GpuForecast> latest(int gpu) const;

  const Forecaster& model() const { return *model_; }

 private:
  struct Gpu {
    GridBuilder grid;
    ChannelSeries buffer;
    std::vector<EpochMs> times;
    std::size_t new_steps = 0;  // appended since the last forecast
    std::optional<double> mem_total_mib;
    AnomalyDetector detector;
    std::optional<GpuForecast> latest;
    ChannelPeriods periods{};                 // the channels' level periods ...
    ChannelSwitchEvidence switch_evidence{};  // ... and phase switch evidence ...
    std::optional<EpochMs> periods_time_ms;   // ... at this step (none yet in this segment)
  };
  void append(Gpu& gpu, bool new_segment, EpochMs time_ms, const ChannelValues& values);
  void forecast(std::vector<Gpu*>& gpus, std::vector<OnlineAnomaly>& found, const std::vector<int>& ids);

  const Forecaster* model_;
  std::size_t keep_steps_;  // history kept per GPU
  std::map<int, Gpu> gpus_;
};

}  // namespace gpuopt::forecast
