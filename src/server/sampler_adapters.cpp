#include "sampler_adapters.hpp"

#include <spdlog/spdlog.h>

#include "gpuopt/error.hpp"

namespace gpuopt::server {

std::vector<Sample> TimedSource::read(EpochMs now) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Sample> samples = inner_.read(now);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  state_.record_read_duration(took.count());
  return samples;
}

void GuardedSink::on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) {
  try {
    inner_.on_start(source, devices);
  } catch (const Error& e) {
    failed("register devices", e);
  }
}

void GuardedSink::on_samples(std::span<const Sample> samples) {
  try {
    inner_.on_samples(samples);
  } catch (const Error& e) {
    failed("write samples", e);
  }
}

void GuardedSink::flush() {
  try {
    inner_.flush();
  } catch (const Error& e) {
    failed("flush", e);
  }
}

void GuardedSink::failed(const char* what, const std::exception& e) {
  state_.record_store_error(e.what());
  const auto now = std::chrono::steady_clock::now();
  if (logged_ && now - last_log_ < std::chrono::minutes(1)) return;
  logged_ = true;
  last_log_ = now;
  spdlog::warn("store: cannot {}: {} (sampling continues; see gpuopt_store_write_errors_total)", what,
               e.what());
}

}  // namespace gpuopt::server
