// The embedded time-series store (one SQLite file in WAL mode): devices, samples, events,
// and downsampled roll-ups kept longer than raw samples. One writer and any number of
// readers (other processes too) may use a file at the same time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gpuopt/metric.hpp"
#include "gpuopt/sample.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt {

using DeviceId = std::int64_t;

struct StoredDevice {
  DeviceId id = 0;
  std::string origin;  // where it came from: "nvml@host", "sim@host", "import:<file>", "prometheus:<url>"
  DeviceInfo info;
  std::optional<EpochMs> first_ms;  // time range of its raw samples, if any
  std::optional<EpochMs> last_ms;
  std::int64_t sample_count = 0;
};

struct Event {
  std::int64_t id = 0;  // assigned by the store
  EpochMs time_ms = 0;
  std::optional<DeviceId> device;
  std::string kind;  // "import", "collect.start", "anomaly.power_collapse", "control.set_power_limit", ...
  std::string severity;             // "info", "warning", "error"
  std::string message;              // one line for people
  std::string details_json = "{}";  // machine-readable details
};

enum class Aggregation { mean, min, max, last };

struct SeriesQuery {
  DeviceId device = 0;
  Metric metric = Metric::power_w;
  EpochMs from_ms = 0;                // inclusive
  EpochMs to_ms = 0;                  // exclusive
  std::chrono::milliseconds step{0};  // 0 = raw samples; else one point per step-aligned bucket
  Aggregation aggregation = Aggregation::mean;
};

struct Point {
  EpochMs time_ms = 0;  // sample time, or bucket start when resampled
  double value = 0;
};

struct RetentionPolicy {
  std::chrono::milliseconds raw{std::chrono::hours(24 * 7)};       // keep raw samples this long
  std::chrono::milliseconds rollup{std::chrono::hours(24 * 365)};  // keep 1-minute roll-ups this long
};

struct RetentionResult {
  std::int64_t raw_deleted = 0;
  std::int64_t rollups_deleted = 0;
};

// Not thread-safe: one Store object per thread (open the same path again for another thread).
// Every method throws StoreError with the path and the reason when SQLite fails.
class Store {
 public:
  enum class Mode { read_write, read_only };

  // Opens (read_write: creates if missing) the store at `path`. A file that is not SQLite, is
  // corrupt, or is another program's database throws StoreError and is left untouched.
  static Store open(const std::string& path, Mode mode = Mode::read_write);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const;

  // How long a write waits for another process's write lock (an import, a retention pass) before
  // failing with StoreError "database is locked"; kDefaultBusyTimeout after open.
  static constexpr std::chrono::milliseconds kDefaultBusyTimeout{10000};
  void set_busy_timeout(std::chrono::milliseconds timeout);

  // Finds each device by UUID (inserting it if new, refreshing its properties if known) and
  // returns the ids in the same order. A device's origin becomes `origin`, except that an import
  // origin ("import:", "prometheus:") is only replaced by another one: imported history is never
  // expired (apply_retention), even once the GPU is sampled live.
  std::vector<DeviceId> register_devices(std::span<const DeviceInfo> devices, const std::string& origin);

  // Appends samples in one transaction; sample.gpu indexes `device_ids` (as returned by
  // register_devices). Updates the roll-ups. A sample with a (device, time) already stored
  // overwrites the metrics it has and keeps the stored values of those it lacks (so imports of
  // different metrics of one GPU add up). Throws UsageError if a gpu index is out of range
  // (nothing is written).
  void append(std::span<const DeviceId> device_ids, std::span<const Sample> samples);

  std::vector<StoredDevice> devices() const;

  // Resolves a --gpu selector: a store device id ("#3"), a UUID (or unique prefix), or a GPU
  // index when exactly one device has it. Throws UsageError listing candidates otherwise.
  StoredDevice find_device(const std::string& selector) const;

  // Points of one metric of one device in [from, to), oldest first, absent values skipped.
  // Resampled queries read the 1-minute roll-ups when the step is a multiple of a minute and
  // raw samples otherwise; empty buckets produce no point. Buckets start at multiples of the
  // step since the epoch, and every bucket overlapping [from, to) is aggregated whole.
  // Throws UsageError for a negative step.
  std::vector<Point> query(const SeriesQuery& q) const;

  // All metrics of a device's raw samples in [from, to), oldest first, at most `limit`.
  std::vector<Sample> samples(DeviceId device, EpochMs from_ms, EpochMs to_ms,
                              std::size_t limit = 100000) const;

  std::int64_t add_event(const Event& e);
  std::vector<Event> events(EpochMs from_ms, EpochMs to_ms, std::optional<DeviceId> device = {},
                            const std::string& kind_prefix = "") const;

  // Deletes raw samples older than now - policy.raw (their roll-ups stay) and roll-ups older
  // than now - policy.rollup, of live-sampled devices only: devices whose origin is an import
  // ("import:<file>", "prometheus:<url>") keep everything.
  RetentionResult apply_retention(const RetentionPolicy& policy, EpochMs now);

  // Deletes every raw sample and roll-up of `device` in one transaction (the device and its
  // events stay); returns the raw samples deleted. For `gpuopt import --replace`.
  std::int64_t remove_samples(DeviceId device);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuopt
