#include "commands.hpp"

namespace gpuopt::cli {

void register_serve(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
