#include "live_state.hpp"

#include <utility>

namespace gpuopt::server {

std::string_view to_string(SamplerState state) {
  switch (state) {
    case SamplerState::starting:
      return "starting";
    case SamplerState::running:
      return "running";
    case SamplerState::finished:
      return "finished";
    case SamplerState::failed:
      return "failed";
  }
  return "unknown";
}

LiveState::LiveState(std::string hostname, EpochMs started_ms) : hostname_(std::move(hostname)) {
  stats_.started_ms = started_ms;
}

void LiveState::set_source(const SourceInfo& source, const std::vector<DeviceInfo>& devices) {
  const std::lock_guard lock(mutex_);
  source_ = source;
  devices_ = devices;
  latest_.clear();
}

void LiveState::record_samples(std::span<const Sample> samples, EpochMs received_ms) {
  const std::lock_guard lock(mutex_);
  for (const Sample& s : samples) latest_[s.gpu] = s;
  stats_.samples_total += samples.size();
  ++stats_.rounds_total;
  // A round in which no GPU could be read does not count as fresh data for /healthz.
  if (samples.empty()) return;
  stats_.last_round_ms = received_ms;
  if (stats_.sampler == SamplerState::starting) stats_.sampler = SamplerState::running;
}

void LiveState::record_read_error(const std::string& message) {
  const std::lock_guard lock(mutex_);
  ++stats_.read_errors_total;
  stats_.last_error = message;
}

void LiveState::record_read_duration(double seconds) {
  const std::lock_guard lock(mutex_);
  stats_.last_read_s = seconds;
}

void LiveState::record_store_error(const std::string& message) {
  const std::lock_guard lock(mutex_);
  ++stats_.store_errors_total;
  stats_.last_error = message;
}

void LiveState::set_sampler_state(SamplerState state, const std::string& message) {
  const std::lock_guard lock(mutex_);
  stats_.sampler = state;
  if (!message.empty()) stats_.last_error = message;
}

void LiveState::count_request(const std::string& route) {
  const std::lock_guard lock(mutex_);
  ++stats_.http_requests[route];
}

LiveSnapshot LiveState::snapshot(EpochMs now) const {
  const std::lock_guard lock(mutex_);
  return LiveSnapshot{now, hostname_, source_, devices_, latest_, stats_};
}

void LiveStateSink::on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) {
  state_.set_source(source, devices);
}

void LiveStateSink::on_samples(std::span<const Sample> samples) { state_.record_samples(samples); }

void LiveStateSink::on_error(const std::string& message) { state_.record_read_error(message); }

}  // namespace gpuopt::server
