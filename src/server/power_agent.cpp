// Placeholder until the power module lands: the agent runs without it.
#include "agent_module.hpp"

namespace gpuopt::server {

std::unique_ptr<AgentModule> make_power_module(const AgentContext& context) {
  (void)context;
  return nullptr;
}

}  // namespace gpuopt::server
