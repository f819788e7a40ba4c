// The JSON API of `gpuopt serve` (docs/serve.md): /api/v1/devices, /api/v1/samples and
// /healthz. The handlers are plain functions so tests can call them without a server.
#pragma once

#include <chrono>
#include <string>

#include "gpuopt/time.hpp"
#include "http_types.hpp"
#include "live_state.hpp"
#include "router.hpp"

namespace gpuopt::server {

struct ApiOptions {
  std::string store_path;  // "" = no store: /api/v1/samples answers 404
  std::chrono::milliseconds stale_after{5000};
};

// Source, devices (static properties) and the latest sample of each GPU (null if none yet).
HttpResponse handle_devices(const LiveSnapshot& snapshot);

// 200 {"status":"ok",...} while sampling rounds keep arriving; 503 with status "starting"
// (no round yet), "stale" (none for stale_after), "finished" (the replay ended) or "failed".
HttpResponse handle_healthz(const LiveSnapshot& snapshot, std::chrono::milliseconds stale_after);

// One metric of one stored device: ?gpu=SEL&metric=NAME[&from=T][&to=T][&step=D][&agg=mean|min|max|last].
// Opens the store read-only for the request. Throws BadParameter (400) for bad parameters and
// StoreError (503) when the store cannot be read.
HttpResponse handle_samples(const HttpRequest& request, const std::string& store_path, EpochMs now);

// Registers GET /api/v1/devices, /api/v1/samples and /healthz on `router`; `state` must outlive it.
void register_json_api(Router& router, const LiveState& state, const ApiOptions& options);

}  // namespace gpuopt::server
