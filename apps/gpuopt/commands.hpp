// The `gpuopt` subcommands. Each register_* adds one subcommand (with its options and
// callback) to the app; callbacks throw gpuopt::Error subclasses, which main() turns into
// one line on stderr and an exit code (UsageError: 2, other errors: 1).
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.hpp"

namespace gpuopt::cli {

void register_devices(CLI::App& app, const GlobalOptions& global);
void register_collect(CLI::App& app, const GlobalOptions& global);
void register_import(CLI::App& app, const GlobalOptions& global);
void register_query(CLI::App& app, const GlobalOptions& global);
void register_serve(CLI::App& app, const GlobalOptions& global);
void register_mem(CLI::App& app, const GlobalOptions& global);       // mem train|eval|predict
void register_forecast(CLI::App& app, const GlobalOptions& global);  // forecast train|eval
void register_events(CLI::App& app, const GlobalOptions& global);
void register_power(CLI::App& app, const GlobalOptions& global);  // power eval|recommend|apply

// Prints the version and which backends are built in / available here.
void print_version(const GlobalOptions& global);

}  // namespace gpuopt::cli
