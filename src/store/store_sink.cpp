#include "gpuopt/store_sink.hpp"

#include "gpuopt/host.hpp"

namespace gpuopt {

std::string live_origin(const SourceInfo& source) { return source.name + "@" + local_host_name(); }

void StoreSink::on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) {
  device_ids_ = store_->register_devices(devices, live_origin(source));
}

void StoreSink::on_samples(std::span<const Sample> samples) {
  pending_.insert(pending_.end(), samples.begin(), samples.end());
  if (pending_.size() > kMaxPendingSamples) {
    // Drop a tenth at once so that a store failing for long does not shift the buffer every round.
    const std::size_t excess = pending_.size() - kMaxPendingSamples * 9 / 10;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(excess));
    samples_dropped_ += excess;
  }
}

void StoreSink::flush() {
  if (pending_.empty()) return;
  store_->set_busy_timeout(flush_wait_);
  try {
    store_->append(device_ids_, pending_);
  } catch (...) {
    store_->set_busy_timeout(Store::kDefaultBusyTimeout);
    throw;
  }
  store_->set_busy_timeout(Store::kDefaultBusyTimeout);
  samples_written_ += pending_.size();
  pending_.clear();
}

void TolerantSink::on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) {
  if (!tolerate_start_) return inner_.on_start(source, devices);
  try {
    inner_.on_start(source, devices);
  } catch (const Error& e) {
    failed("register devices", e);
  }
}

void TolerantSink::on_samples(std::span<const Sample> samples) {
  try {
    inner_.on_samples(samples);
  } catch (const Error& e) {
    failed("write samples", e);
  }
}

void TolerantSink::flush() {
  try {
    inner_.flush();
  } catch (const Error& e) {
    failed("flush", e);
  }
}

void TolerantSink::failed(std::string_view what, const Error& error) {
  if (hooks_.count) hooks_.count(error);
  const auto now = std::chrono::steady_clock::now();
  if (warned_ && now - last_warning_ < kWarnEvery) return;
  warned_ = true;
  last_warning_ = now;
  if (hooks_.warn) hooks_.warn(what, error);
}

}  // namespace gpuopt
