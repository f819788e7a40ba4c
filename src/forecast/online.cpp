#include "gpuopt/forecast/online.hpp"

#include <algorithm>

#include "phases.hpp"

namespace gpuopt::forecast {
namespace {

constexpr EpochMs kPeriodRefreshMs = std::chrono::milliseconds(kPeriodRefresh).count();

History history_of(const ChannelSeries& buffer) {
  History h;
  for (std::size_t c = 0; c < kChannelCount; ++c) h.values[c] = buffer[c];
  return h;
}

}  // namespace

OnlineForecaster::OnlineForecaster(const Forecaster& model, const std::vector<DeviceInfo>& devices,
                                   std::chrono::milliseconds max_gap)
    : model_(&model),
      keep_steps_(std::max({model.spec().window.history_steps(), anomaly_history_steps(model.spec().step),
                            phase_history_steps(model.spec().step)})) {
  const ResampleOptions grid{model.spec().step, std::max(max_gap, model.spec().step)};
  for (const DeviceInfo& d : devices) {
    gpus_.emplace(d.index, Gpu{GridBuilder(grid, "live:gpu" + std::to_string(d.index)),
                               {},
                               {},
                               0,
                               d.mem_total_mib,
                               AnomalyDetector(model.spec(), d.mem_total_mib),
                               std::nullopt,
                               {},
                               {},
                               std::nullopt});
  }
}

void OnlineForecaster::append(Gpu& gpu, bool new_segment, EpochMs time_ms, const ChannelValues& values) {
  if (new_segment) {
    // After a gap the old window no longer leads up to now: start over.
    for (auto& v : gpu.buffer) v.clear();
    gpu.times.clear();
    gpu.new_steps = 0;
    gpu.detector = AnomalyDetector(model_->spec(), gpu.mem_total_mib);
    gpu.periods_time_ms.reset();
  }
  // Dropping the oldest steps only now and then keeps appends amortized O(1).
  if (gpu.times.size() >= 2 * keep_steps_) {
    const auto drop = static_cast<std::ptrdiff_t>(gpu.times.size() - keep_steps_);
    for (auto& v : gpu.buffer) v.erase(v.begin(), v.begin() + drop);
    gpu.times.erase(gpu.times.begin(), gpu.times.begin() + drop);
  }
  for (std::size_t c = 0; c < kChannelCount; ++c) gpu.buffer[c].push_back(values[c]);
  gpu.times.push_back(time_ms);
  ++gpu.new_steps;
}

std::vector<OnlineAnomaly> OnlineForecaster::add(std::span<const Sample> samples) {
  std::vector<Gpu*> advanced;
  std::vector<int> ids;
  for (const Sample& s : samples) {
    const auto it = gpus_.find(s.gpu);
    if (it == gpus_.end()) continue;
    Gpu& gpu = it->second;
    const auto emit = [&](bool new_segment, EpochMs t, const ChannelValues& v) {
      append(gpu, new_segment, t, v);
    };
    gpu.grid.add(s, emit);
    gpu.grid.emit_next(emit);
    if (gpu.new_steps > 0) {
      advanced.push_back(&gpu);
      ids.push_back(s.gpu);
    }
  }
  std::vector<OnlineAnomaly> found;
  forecast(advanced, found, ids);
  return found;
}

void OnlineForecaster::forecast(std::vector<Gpu*>& gpus, std::vector<OnlineAnomaly>& found,
                                const std::vector<int>& ids) {
  const ForecastSpec& spec = model_->spec();
  std::vector<WindowRef> windows;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (gpus[i]->times.size() < static_cast<std::size_t>(spec.window.fine_steps)) continue;
    Gpu& gpu = *gpus[i];
    WindowRef w{history_of(gpu.buffer), gpu.times.size() - 1};
    if (!gpu.periods_time_ms || gpu.times.back() - *gpu.periods_time_ms >= kPeriodRefreshMs) {
      model_->refresh_long_memory(w, gpu.periods, gpu.switch_evidence);
      gpu.periods_time_ms = gpu.times.back();
    }
    w.periods = &gpu.periods;
    w.switch_evidence = &gpu.switch_evidence;
    windows.push_back(w);
    which.push_back(i);
  }
  // One batched prediction for every GPU of the round.
  std::vector<float> pred(windows.size() * spec.outputs());
  model_->predict(windows, pred);
  std::vector<std::vector<ForecastPoint>> points(gpus.size());
  for (std::size_t j = 0; j < windows.size(); ++j) {
    Gpu& gpu = *gpus[which[j]];
    points[which[j]] = with_intervals(
        *model_, windows[j], std::span<const float>(pred).subspan(j * spec.outputs(), spec.outputs()),
        gpu.mem_total_mib);
    gpu.latest = GpuForecast{gpu.times.back(), points[which[j]]};
  }
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    Gpu& gpu = *gpus[i];
    const History history = history_of(gpu.buffer);
    const std::size_t size = gpu.times.size();
    for (std::size_t k = size - std::min(gpu.new_steps, size); k < size; ++k) {
      const std::span<const ForecastPoint> p =
          k + 1 == size ? std::span<const ForecastPoint>(points[i]) : std::span<const ForecastPoint>();
      for (Anomaly& a : gpu.detector.step({history, k}, gpu.times[k], p))
        found.push_back({ids[i], std::move(a)});
    }
    gpu.new_steps = 0;
  }
}

std::optional<GpuForecast> OnlineForecaster::latest(int gpu) const {
  const auto it = gpus_.find(gpu);
  return it == gpus_.end() ? std::nullopt : it->second.latest;
}

}  // namespace gpuopt::forecast
