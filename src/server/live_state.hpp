// What `gpuopt serve` knows right now: the source, its devices, the latest sample of each GPU
// and the agent's own statistics. The sampler thread writes it; HTTP threads read snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/sample.hpp"
#include "gpuopt/sampler.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt::server {

enum class SamplerState {
  starting,  // no round yet
  running,
  finished,  // a finite source (replay without loop) ran out
  failed,    // the whole source failed; see last_error
};

std::string_view to_string(SamplerState state);

struct SelfStats {
  EpochMs started_ms = 0;
  SamplerState sampler = SamplerState::starting;
  std::string last_error;                              // last read, store or sampler problem, one line
  std::uint64_t rounds_total = 0;                      // sampling rounds received
  std::uint64_t samples_total = 0;                     // GPU samples received
  std::uint64_t read_errors_total = 0;                 // per-GPU read problems
  std::uint64_t store_errors_total = 0;                // failed store writes
  std::optional<double> last_read_s;                   // wall time of the last source read, seconds
  std::optional<EpochMs> last_round_ms;                // wall-clock time the last non-empty round arrived
  std::map<std::string, std::uint64_t> http_requests;  // by route ("/metrics", "other")
};

// A consistent copy of the live state at `now_ms`.
struct LiveSnapshot {
  EpochMs now_ms = 0;
  std::string hostname;
  SourceInfo source;
  std::vector<DeviceInfo> devices;  // index order
  std::map<int, Sample> latest;     // by Sample::gpu (position in devices); a GPU never read is missing
  SelfStats stats;
};

// Thread-safe: every method may be called from any thread.
class LiveState {
 public:
  explicit LiveState(std::string hostname, EpochMs started_ms = now_ms());

  void set_source(const SourceInfo& source, const std::vector<DeviceInfo>& devices);
  // One sampling round, received at wall-clock `received_ms`.
  void record_samples(std::span<const Sample> samples, EpochMs received_ms = now_ms());
  void record_read_error(const std::string& message);
  void record_read_duration(double seconds);
  void record_store_error(const std::string& message);
  void set_sampler_state(SamplerState state, const std::string& message = "");
  void count_request(const std::string& route);

  LiveSnapshot snapshot(EpochMs now = now_ms()) const;

 private:
  mutable std::mutex mutex_;
  std::string hostname_;
  SourceInfo source_;
  std::vector<DeviceInfo> devices_;
  std::map<int, Sample> latest_;
  SelfStats stats_;
};

// Feeds a LiveState from the sampler (on_start, samples, read errors).
class LiveStateSink : public SampleSink {
 public:
  explicit LiveStateSink(LiveState& state) : state_(state) {}
  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override;
  void on_samples(std::span<const Sample> samples) override;
  void on_error(const std::string& message) override;

 private:
  LiveState& state_;
};

}  // namespace gpuopt::server
