// Placeholder until `gpuopt forecast` lands.
#include "commands.hpp"

namespace gpuopt::cli {

void register_forecast(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
