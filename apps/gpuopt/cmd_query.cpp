#include "commands.hpp"

namespace gpuopt::cli {

void register_query(CLI::App& app, const GlobalOptions& global) {
  (void)app;
  (void)global;
}

}  // namespace gpuopt::cli
