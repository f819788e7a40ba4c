// The `gpuopt power` subcommands, one file each (cmd_power_*.cpp); cmd_power.cpp groups them.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.hpp"

namespace gpuopt::cli {

void register_power_eval(CLI::App& power, const GlobalOptions& global);       // cmd_power_eval.cpp
void register_power_recommend(CLI::App& power, const GlobalOptions& global);  // cmd_power_recommend.cpp
void register_power_apply(CLI::App& power, const GlobalOptions& global);      // cmd_power_apply.cpp

}  // namespace gpuopt::cli
