// The reference forecasters: persistence, moving average and phases (nothing to learn).
#include <algorithm>
#include <vector>

#include "models.hpp"
#include "phases.hpp"

namespace gpuopt::forecast {
namespace {

class Persistence final : public Forecaster {
 public:
  using Forecaster::Forecaster;
  std::string name() const override { return "persistence"; }
  void fit(std::span<const WindowRef>, const TrainOptions&) override {}
  void predict(std::span<const WindowRef> windows, std::span<float> out) const override {
    for (std::size_t w = 0; w < windows.size(); ++w) {
      const ChannelValues last = last_values(windows[w], spec().window);
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < spec().horizons.size(); ++h) out[output_index(spec(), w, c, h)] = last[c];
      }
    }
  }
};

// The mean over the last `horizon` (at least 1 s): a longer horizon averages away more of the
// iteration-level ripple that it cannot predict anyway.
class MovingAverage final : public Forecaster {
 public:
  using Forecaster::Forecaster;
  std::string name() const override { return "moving-average"; }
  void fit(std::span<const WindowRef>, const TrainOptions&) override {}
  void predict(std::span<const WindowRef> windows, std::span<float> out) const override {
    const std::size_t one_second = std::max<std::size_t>(1, std::chrono::milliseconds(1000) / spec().step);
    for (std::size_t w = 0; w < windows.size(); ++w) {
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < spec().horizons.size(); ++h) {
          const std::size_t n = std::max(one_second, spec().horizon_steps(h));
          out[output_index(spec(), w, c, h)] = trailing_mean(windows[w], static_cast<Channel>(c), n);
        }
      }
    }
  }
};

// The phase forecast alone (phases.hpp): the holding level (holding_level.hpp) until the current
// level phase is due to end, then the other phase's level; the holding level where no phases are
// found. The sequence models get the same forecast as an input.
class PhaseRule final : public Forecaster {
 public:
  using Forecaster::Forecaster;
  std::string name() const override { return "phase"; }
  void fit(std::span<const WindowRef>, const TrainOptions&) override {}
  void refresh_long_memory(const WindowRef& w, ChannelPeriods& periods,
                           ChannelSwitchEvidence& evidence) const override {
    refresh_phase_memory(w, spec(), kCurrentHolding, periods, evidence);
  }
  void predict(std::span<const WindowRef> windows, std::span<float> out) const override {
    const std::size_t horizons = spec().horizons.size();
    const std::size_t per_channel = kPhaseForecastOffset + horizons;
    std::vector<float> f(phase_feature_count(spec()));
    for (std::size_t w = 0; w < windows.size(); ++w) {
      const ChannelValues last = last_values(windows[w], spec().window);
      const ChannelValues scales = window_scales(windows[w], spec().window);
      phase_features(windows[w], spec(), last, scales, kCurrentHolding, f);
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < horizons; ++h) {
          // The same arithmetic as the sequence models' base, so that their forecasts are equal.
          out[output_index(spec(), w, c, h)] =
              last[c] + f[c * per_channel + kPhaseForecastOffset + h] * scales[c];
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Forecaster> make_phase_rule(const ForecastSpec& spec) {
  return std::make_unique<PhaseRule>(spec);
}

std::unique_ptr<Forecaster> make_persistence(const ForecastSpec& spec) {
  return std::make_unique<Persistence>(spec);
}

std::unique_ptr<Forecaster> make_moving_average(const ForecastSpec& spec) {
  return std::make_unique<MovingAverage>(spec);
}

}  // namespace gpuopt::forecast
