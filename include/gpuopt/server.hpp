// `gpuopt serve`: an HTTP agent that samples a telemetry source, keeps the latest readings in
// memory, optionally stores them, and serves them as Prometheus metrics (dcgm-exporter's names
// and labels) and as a JSON API. docs/serve.md lists the endpoints.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "gpuopt/sampler.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {

// Online forecasting and anomaly events in the agent (docs/forecast.md).
struct ForecastServeOptions {
  bool enabled = true;
  std::string model_file;  // "" = the forecaster shipped with gpuopt
};

// The power optimizer loop in the agent (docs/power.md).
struct PowerServeOptions {
  enum class Mode { off, advisory, control };
  Mode mode = Mode::advisory;  // control changes power limits: explicit opt-in only
  double eta = 0.5;            // Zeus cost weight of energy vs time, in [0, 1]
  std::string max_slowdown;    // "" = Zeus cost; else minimise energy with at most this slowdown ("5%")
  std::chrono::milliseconds decide_every{std::chrono::seconds(30)};  // how often to recompute
  std::string nvml_library;  // nvml source: the library to load for control and for restoring changes
                             // an earlier gpuopt process left at start ("" = default lookup)
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 9400;            // 0 = any free port (the chosen one is passed to on_listening)
  std::string store_path;     // "" = no store: /api/v1/samples answers 404
  RetentionPolicy retention;  // applied to the store at start and then hourly
  SamplerOptions sampler;     // interval, flush period (duration is normally unset)
  // /healthz answers 503 when no sampling round finished for this long; 0 = max(3 x interval, 5 s).
  std::chrono::milliseconds stale_after{0};
  std::string hostname;           // value of the Hostname label; "" = this machine's host name
  std::string memory_model_file;  // POST /api/v1/memory/predict; "" = the model shipped with gpuopt
  ForecastServeOptions forecast;
  PowerServeOptions power;
};

// Binds the listening socket, then samples `source` on a background thread (feeding the live
// state and, with a store_path, the store) and serves HTTP until `stop` becomes true; then
// stops the server and the sampler and flushes the store. A source that fails or finishes
// leaves the server running (with /healthz answering 503) until `stop`.
// `on_listening(url)` is called once, on the calling thread, when connections are accepted.
// Throws UsageError when the address cannot be bound (port taken, bad host) and StoreError when
// the store cannot be opened; nothing is started then.
void run_serve(TelemetrySource& source, const ServeOptions& options, const std::atomic<bool>& stop,
               const std::function<void(const std::string& url)>& on_listening = {});

}  // namespace gpuopt
