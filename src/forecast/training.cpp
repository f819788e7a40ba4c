#include "gpuopt/forecast/training.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "models.hpp"
#include "quantile.hpp"

namespace gpuopt::forecast {

History history_of(const Segment& segment) {
  History h;
  for (std::size_t c = 0; c < kChannelCount; ++c) h.values[c] = segment.values[c];
  return h;
}

std::vector<WindowRef> select_windows(std::span<const Trace> traces, const ForecastSpec& spec,
                                      const WindowSelection& selection) {
  const std::size_t max_h = spec.horizon_steps(spec.horizons.size() - 1);
  const std::size_t min_end = static_cast<std::size_t>(spec.window.fine_steps) - 1;
  const std::size_t stride = std::max<std::size_t>(1, selection.stride);
  std::vector<WindowRef> out;
  // Reservoir sampling: a uniform subset without holding every candidate.
  std::mt19937_64 rng(selection.seed);
  std::uint64_t seen = 0;
  const auto offer = [&](const WindowRef& w) {
    ++seen;
    if (selection.max_windows == 0 || out.size() < selection.max_windows) {
      out.push_back(w);
    } else if (const std::uint64_t j = rng() % seen; j < selection.max_windows) {
      out[j] = w;
    }
  };
  for (std::size_t t = 0; t < traces.size(); ++t) {
    for (const GpuSeries& gpu : traces[t].gpus) {
      for (const Segment& segment : gpu.segments) {
        const auto n = static_cast<double>(segment.size());
        const auto from = static_cast<std::size_t>(selection.from_fraction * n);
        const auto to = static_cast<std::size_t>(selection.to_fraction * n);
        const History history = history_of(segment);
        for (std::size_t end = std::max(from, min_end); end + max_h < to; end += stride) {
          offer({history, end, static_cast<std::uint32_t>(t)});
        }
      }
    }
  }
  return out;
}

namespace {

// Fewer errors than this in one group (at or above the scale floor): its width is the two groups'
// quantile together.
constexpr std::size_t kMinGroupErrors = 50;

}  // namespace

void calibrate(Forecaster& model, std::span<const WindowRef> windows) {
  const ForecastSpec& spec = model.spec();
  const std::size_t horizons = spec.horizons.size();
  std::vector<float> pred(windows.size() * spec.outputs());
  model.predict(windows, pred);
  // [output][0]: windows above the channel's scale floor, [output][1]: at it.
  std::vector<std::array<std::vector<float>, 2>> errors(spec.outputs());
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const ChannelValues scales = window_scales(windows[w], spec.window);
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      const bool at_floor = at_scale_floor(static_cast<Channel>(c), scales[c]);
      for (std::size_t h = 0; h < horizons; ++h) {
        const float truth = windows[w].history.values[c][windows[w].end + spec.horizon_steps(h)];
        const float p = pred[output_index(spec, w, c, h)];
        if (std::isnan(truth) || std::isnan(p) || std::isnan(scales[c])) continue;
        errors[c * horizons + h][at_floor ? 1 : 0].push_back(std::abs(p - truth) / scales[c]);
      }
    }
  }
  Calibration cal = model.calibration();
  cal.half_width.assign(spec.outputs(), std::numeric_limits<float>::quiet_NaN());
  cal.half_width_at_floor = cal.half_width;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    auto& [above, at] = errors[i];
    std::vector<float> both(above);
    both.insert(both.end(), at.begin(), at.end());
    const float pooled = lower_quantile(both, cal.level);
    cal.half_width[i] = above.size() >= kMinGroupErrors ? lower_quantile(above, cal.level) : pooled;
    cal.half_width_at_floor[i] = at.size() >= kMinGroupErrors ? lower_quantile(at, cal.level) : pooled;
  }
  model.set_calibration(std::move(cal));
}

std::unique_ptr<Forecaster> train_forecaster(std::string_view name, std::span<const Trace> traces,
                                             const ForecastSpec& spec, const TrainOptions& options,
                                             std::size_t max_windows) {
  auto model = make_forecaster(name, spec);
  WindowSelection fit_sel;
  fit_sel.max_windows = max_windows;
  fit_sel.seed = options.seed;
  fit_sel.to_fraction = 1 - kCalibrationFraction;
  const std::vector<WindowRef> fit_windows = select_windows(traces, spec, fit_sel);
  WindowSelection cal_sel;
  cal_sel.stride = 10;
  cal_sel.max_windows = 20000;
  cal_sel.seed = options.seed;
  cal_sel.from_fraction = 1 - kCalibrationFraction;
  const std::vector<WindowRef> cal_windows = select_windows(traces, spec, cal_sel);
  if (fit_windows.empty()) {
    const auto needs =
        (spec.step * spec.window.fine_steps + spec.horizons.back()) / (1 - kCalibrationFraction);
    throw Error(fmt::format(
        "no trace segment is long enough to train on: one needs about {:.1f} s without a gap (the longest "
        "horizon, the recent window and the calibration share); the longest is {}",
        std::chrono::duration<double>(needs).count(), longest_segment(traces)));
  }
  model->fit(fit_windows, options);
  calibrate(*model, cal_windows.empty() ? std::span<const WindowRef>(fit_windows) : cal_windows);
  return model;
}

}  // namespace gpuopt::forecast
