#include <algorithm>
#include <limits>

#include "gpuopt/forecast/anomaly_eval.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::size_t kBatch = 1024;
constexpr std::size_t kGraceS = 60;  // a detection this long after an injection ends still counts

void detect_segment(const Forecaster& model, const Segment& segment, std::optional<double> mem_total,
                    const std::function<void(std::size_t, Anomaly)>& on_event) {
  const ForecastSpec& spec = model.spec();
  const History history = history_of(segment);
  const std::size_t sps = std::max<std::size_t>(1, std::chrono::milliseconds(1000) / spec.step);
  AnomalyDetector detector(spec, mem_total);
  // Forecasts once per second, at the steps where the detector checks, predicted in batches.
  std::vector<WindowRef> batch;
  std::vector<float> pred;
  std::size_t next = 0;  // the next step to feed the detector
  const auto feed_until = [&](std::size_t stop_step) {
    std::size_t b = 0;
    for (; next < stop_step; ++next) {
      std::vector<ForecastPoint> points;
      const WindowRef w{history, next};
      if (b < batch.size() && batch[b].end == next) {
        points = with_intervals(
            model, w, std::span<const float>(pred).subspan(b * spec.outputs(), spec.outputs()), mem_total);
        ++b;
      }
      const EpochMs t = segment.start_ms + static_cast<EpochMs>(next) * segment.step.count();
      for (Anomaly& a : detector.step(w, t, points)) on_event(next, std::move(a));
    }
  };
  for (std::size_t end = sps - 1; end < segment.size(); end += sps) {
    if (end + 1 >= static_cast<std::size_t>(spec.window.fine_steps)) batch.push_back({history, end});
    if (batch.size() == kBatch || end + sps >= segment.size()) {
      pred.assign(batch.size() * spec.outputs(), 0);
      model.predict(batch, pred);
      feed_until(batch.empty() ? end + 1 : batch.back().end + 1);
      batch.clear();
    }
  }
  feed_until(segment.size());
}

}  // namespace

std::vector<DetectedEvent> detect_anomalies(const Forecaster& model, const Trace& trace) {
  std::vector<DetectedEvent> out;
  for (std::size_t g = 0; g < trace.gpus.size(); ++g) {
    const GpuSeries& gpu = trace.gpus[g];
    for (std::size_t s = 0; s < gpu.segments.size(); ++s) {
      detect_segment(model, gpu.segments[s], gpu.device.mem_total_mib, [&](std::size_t step, Anomaly a) {
        out.push_back({g, s, step, std::move(a)});
      });
    }
  }
  return out;
}

double AnomalyScores::precision() const {
  return events == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(true_events) / events;
}

double AnomalyScores::recall() const {
  return injected == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(detected) / injected;
}

double AnomalyScores::false_alarms_per_gpu_hour() const {
  return clean_gpu_hours <= 0 ? std::numeric_limits<double>::quiet_NaN() : clean_events / clean_gpu_hours;
}

void score_anomalies(const Forecaster& model, const Trace& trace, std::uint64_t seed, AnomalyScores& scores) {
  for (const DetectedEvent& e : detect_anomalies(model, trace)) {
    ++scores.clean_events;
    ++scores.clean_events_by_kind[e.anomaly.kind];
  }
  for (const GpuSeries& gpu : trace.gpus) {
    for (const Segment& s : gpu.segments) {
      scores.clean_gpu_hours += static_cast<double>(s.size()) * static_cast<double>(s.step.count()) / 3.6e6;
    }
  }
  for (std::size_t k = 0; k < kInjectedKinds; ++k) {
    std::vector<Injection> injections;
    const Trace injected = inject_anomalies(trace, static_cast<InjectedKind>(k), seed, injections);
    if (injections.empty()) continue;
    const std::vector<DetectedEvent> events = detect_anomalies(model, injected);
    std::vector<bool> hit(injections.size(), false);
    for (const DetectedEvent& e : events) {
      bool matched = false;
      for (std::size_t i = 0; i < injections.size(); ++i) {
        const Injection& in = injections[i];
        const std::size_t sps = std::max<std::size_t>(1, std::chrono::milliseconds(1000) / model.spec().step);
        if (in.gpu == e.gpu && in.segment == e.segment && e.step >= in.start &&
            e.step < in.end + kGraceS * sps) {
          hit[i] = true;
          matched = true;
        }
      }
      ++scores.events;
      if (matched) ++scores.true_events;
    }
    scores.injected += injections.size();
    scores.injected_by_kind[k] += injections.size();
    const auto detected = static_cast<std::size_t>(std::count(hit.begin(), hit.end(), true));
    scores.detected += detected;
    scores.detected_by_kind[k] += detected;
  }
}

}  // namespace gpuopt::forecast
