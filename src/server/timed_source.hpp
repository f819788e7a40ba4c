// A decorator that lets `gpuopt serve` watch how long its sampler's reads take. (Store writes that
// fail without stopping the sampling: TolerantSink in gpuopt/store_sink.hpp.)
#pragma once

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

}  // namespace gpuopt::server
