// Pulls fleet history back from a Prometheus server (HTTP API /api/v1/query_range) into the
// store, e.g. for training on many machines' telemetry.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "gpuopt/store.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt {

struct PrometheusImportOptions {
  std::string url;    // "http://127.0.0.1:9090" (http only; a path prefix is kept)
  std::string query;  // PromQL returning DCGM_FI_DEV_* / gpuopt_* series, e.g. '{__name__=~"DCGM_FI_DEV_.*"}'
  EpochMs from_ms = 0;
  EpochMs to_ms = 0;
  std::chrono::milliseconds step{std::chrono::seconds(1)};
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct PrometheusImportResult {
  std::int64_t series = 0;          // series returned
  std::int64_t series_skipped = 0;  // series whose metric name gpuopt does not know
  std::int64_t devices = 0;         // devices (by UUID label, else instance+gpu) written
  std::int64_t samples = 0;         // samples written
  // Values outside [from, to] or impossible for a GPU (plausible_value), not written.
  std::int64_t values_skipped = 0;
};

// Queries in chunks (Prometheus caps points per series), maps each series to a device by its
// UUID label (else "<instance>:gpu<gpu>") and its name to a Metric, and appends samples.
// Throws RemoteError (connection, HTTP status, Prometheus "error" answer, bad JSON) naming the
// URL; nothing is written for a chunk that failed, and when earlier chunks were written the
// message says how many samples stay. Calls `progress(done, total)` per chunk; an Error it
// throws (an interrupted import) ends the import the same way.
PrometheusImportResult import_prometheus(Store& store, const PrometheusImportOptions& options,
                                         const std::function<void(int, int)>& progress = {});

}  // namespace gpuopt
