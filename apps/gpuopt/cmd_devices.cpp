#include "commands.hpp"

namespace gpuopt::cli {

void register_devices(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
