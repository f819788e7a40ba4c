// Placeholder until `gpuopt power` lands.
#include "commands.hpp"

namespace gpuopt::cli {

void register_power(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
