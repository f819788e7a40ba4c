// A SampleSink that records a sampler's output in a Store (used by `gpuopt collect` and
// `gpuopt serve`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/error.hpp"
#include "gpuopt/sampler.hpp"
#include "gpuopt/store.hpp"

namespace gpuopt {

// The origin under which a live source's devices are stored: "<source name>@<host name>"
// ("sim@node1"); the host is local_host_name().
std::string live_origin(const SourceInfo& source);

// on_start registers the source's devices under live_origin(source); rounds are buffered and written with
// one Store::append per flush(). A flush that fails throws the store's error and keeps the
// buffer, so a later flush may write it (a full disk, a locked file); while the store keeps
// failing, the buffer holds at most kMaxPendingSamples, dropping the oldest tenth beyond that.
// A flush waits at most `flush_wait` for another process's write lock, so a long import or a
// held lock does not stall the sampler (its rounds stay buffered); set_flush_wait() lengthens it
// for a last flush. Like the store, not thread-safe: use it from the sampler's thread only.
class StoreSink final : public SampleSink {
 public:
  static constexpr std::size_t kMaxPendingSamples = 200000;
  static constexpr std::chrono::milliseconds kSamplerFlushWait{200};

  // `store` must outlive the sink.
  explicit StoreSink(Store& store, std::chrono::milliseconds flush_wait = Store::kDefaultBusyTimeout)
      : store_(&store), flush_wait_(flush_wait) {}
  void set_flush_wait(std::chrono::milliseconds flush_wait) { flush_wait_ = flush_wait; }

  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override;
  void on_samples(std::span<const Sample> samples) override;
  void flush() override;

  // Store ids of the source's devices, in device index order (empty before on_start).
  const std::vector<DeviceId>& device_ids() const { return device_ids_; }
  std::uint64_t samples_written() const { return samples_written_; }
  std::uint64_t samples_dropped() const { return samples_dropped_; }

 private:
  Store* store_;
  std::chrono::milliseconds flush_wait_;
  std::vector<DeviceId> device_ids_;
  std::vector<Sample> pending_;
  std::uint64_t samples_written_ = 0;
  std::uint64_t samples_dropped_ = 0;
};

// Forwards to `inner` (normally a StoreSink) and keeps the sampler running when the store fails:
// a gpuopt::Error from on_samples() or flush() (and from on_start() if `tolerate_start`) goes to
// the hooks instead of ending the run. StoreSink keeps the rounds it could not write and retries
// at the next flush. `count` (optional) sees every failure; `warn` (optional) the first one and
// then at most one a minute. Used by `gpuopt collect` (warns on stderr) and `gpuopt serve`
// (counts into its metrics, warns in its log). Same thread rules as the inner sink.
class TolerantSink final : public SampleSink {
 public:
  struct Hooks {
    std::function<void(const Error& error)> count;
    std::function<void(std::string_view what, const Error& error)> warn;  // what: "flush", ...
  };
  static constexpr std::chrono::minutes kWarnEvery{1};

  TolerantSink(SampleSink& inner, Hooks hooks, bool tolerate_start)
      : inner_(inner), hooks_(std::move(hooks)), tolerate_start_(tolerate_start) {}

  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override;
  void on_samples(std::span<const Sample> samples) override;
  void on_error(const std::string& message) override { inner_.on_error(message); }
  void flush() override;

 private:
  void failed(std::string_view what, const Error& error);

  SampleSink& inner_;
  Hooks hooks_;
  bool tolerate_start_;
  std::chrono::steady_clock::time_point last_warning_{};
  bool warned_ = false;
};

}  // namespace gpuopt
