// Optional parts of `gpuopt serve` beyond telemetry (memory prediction, online forecasting,
// the power optimizer). Each lives in its own file and plugs in through this interface, so adding
// one touches neither the others nor serve.cpp's wiring.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpuopt/sampler.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/telemetry.hpp"
#include "live_state.hpp"
#include "router.hpp"

namespace gpuopt::server {

// What a module may use; everything outlives the module.
struct AgentContext {
  const ServeOptions& options;
  LiveState& state;
  TelemetrySource& source;  // read by the sampler thread; control calls must be thread-safe for it
};

class AgentModule {
 public:
  virtual ~AgentModule() = default;
  // Adds the module's endpoints (called once, before the server starts).
  virtual void register_routes(Router& router) = 0;
  // Receives every sampling round after the live state; nullptr = not interested.
  // Its methods run on the sampler thread.
  virtual SampleSink* sink() { return nullptr; }
  // Appends Prometheus text-format lines to /metrics. Called from HTTP threads: must be thread-safe.
  virtual void write_metrics(std::string& out) const { (void)out; }
};

// Each returns nullptr when the module is disabled by the options.
std::unique_ptr<AgentModule> make_memory_module(const AgentContext& context);    // memory_agent.cpp
std::unique_ptr<AgentModule> make_forecast_module(const AgentContext& context);  // forecast_agent.cpp
// make_power_module also restores, in every mode, the GPU changes an earlier gpuopt process left.
std::unique_ptr<AgentModule> make_power_module(const AgentContext& context);  // power_agent.cpp

}  // namespace gpuopt::server
