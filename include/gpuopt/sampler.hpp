// The sampling loop shared by `gpuopt collect` and `gpuopt serve`: reads a source at a fixed
// period and hands each round of samples to sinks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "gpuopt/sample.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {

// Receives the sampler's output. Called from the sampler's thread only.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Once, before the first samples.
  virtual void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) = 0;
  // One round: at most one sample per GPU.
  virtual void on_samples(std::span<const Sample> samples) = 0;
  // A per-GPU read problem (one line). Default: ignored.
  virtual void on_error(const std::string& message) { (void)message; }
  // Make everything received durable (called periodically and on stop).
  virtual void flush() {}
};

struct SamplerOptions {
  std::chrono::milliseconds interval{100};
  std::optional<std::chrono::milliseconds> duration;  // none = until stopped
  std::chrono::milliseconds flush_every{1000};
};

struct SamplerStats {
  std::uint64_t rounds = 0;
  std::uint64_t samples = 0;
  std::uint64_t errors = 0;
  std::uint64_t overruns = 0;   // rounds that started late because a read took too long
  double read_cpu_seconds = 0;  // CPU time spent inside source.read()
};

// Runs until `stop` becomes true, the duration elapses or a finite source finishes; then
// flushes every sink. Per-GPU read errors go to on_error and the loop continues; an error
// that fails the whole source is thrown after flushing.
SamplerStats run_sampler(TelemetrySource& source, std::span<SampleSink* const> sinks,
                         const SamplerOptions& options, const std::atomic<bool>& stop);

}  // namespace gpuopt
