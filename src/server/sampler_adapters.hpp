// Decorators that let `gpuopt serve` watch its sampler: how long reads take, and store writes
// that fail without stopping the sampling.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "gpuopt/sampler.hpp"
#include "gpuopt/telemetry.hpp"
#include "live_state.hpp"

namespace gpuopt::server {

// Forwards to `inner` and records the wall time of every read() in `state`.
// Same thread rules as the inner source.
class TimedSource : public TelemetrySource {
 public:
  TimedSource(TelemetrySource& inner, LiveState& state) : inner_(inner), state_(state) {}
  const SourceInfo& info() const override { return inner_.info(); }
  const std::vector<DeviceInfo>& devices() const override { return inner_.devices(); }
  std::vector<Sample> read(EpochMs now) override;
  std::vector<std::string> last_errors() const override { return inner_.last_errors(); }
  bool finished() const override { return inner_.finished(); }

 private:
  TelemetrySource& inner_;
  LiveState& state_;
};

// Forwards to `inner` (the store sink). A gpuopt::Error from it is counted in `state` and
// logged (the first one, then at most once a minute) instead of stopping the sampler, so a full
// disk does not take /metrics down with it.
class GuardedSink : public SampleSink {
 public:
  GuardedSink(SampleSink& inner, LiveState& state) : inner_(inner), state_(state) {}
  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override;
  void on_samples(std::span<const Sample> samples) override;
  void on_error(const std::string& message) override { inner_.on_error(message); }
  void flush() override;

 private:
  void failed(const char* what, const std::exception& e);

  SampleSink& inner_;
  LiveState& state_;
  std::chrono::steady_clock::time_point last_log_{};
  bool logged_ = false;
};

}  // namespace gpuopt::server
