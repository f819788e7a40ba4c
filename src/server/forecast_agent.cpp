// Placeholder until the forecast module lands: the agent runs without it.
#include "agent_module.hpp"

namespace gpuopt::server {

std::unique_ptr<AgentModule> make_forecast_module(const AgentContext& context) {
  (void)context;
  return nullptr;
}

}  // namespace gpuopt::server
