// The endpoints of `gpuopt serve`: GET / (index), /metrics, and the JSON API.
#pragma once

#include <functional>
#include <string>

#include "json_api.hpp"
#include "live_state.hpp"
#include "router.hpp"

namespace gpuopt::server {

// Registers every agent endpoint on `router`; `state` and `router` must outlive the server.
// The index page lists what is registered, so register further groups before calling this.
// `extra_metrics` (optional) appends further Prometheus text lines to /metrics; it is called from
// HTTP threads.
void register_agent_routes(Router& router, const LiveState& state, const ApiOptions& options,
                           std::function<void(std::string&)> extra_metrics = {});

}  // namespace gpuopt::server
