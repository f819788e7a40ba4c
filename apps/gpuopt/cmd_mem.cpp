// Placeholder until `gpuopt mem` lands.
#include "commands.hpp"

namespace gpuopt::cli {

void register_mem(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
