// Placeholder until `gpuopt events` lands.
#include "commands.hpp"

namespace gpuopt::cli {

void register_events(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
