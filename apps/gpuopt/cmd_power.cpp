// `gpuopt power`: power-limit and SM-clock optimization (docs/power.md).
#include "cmd_power.hpp"
#include "commands.hpp"

namespace gpuopt::cli {

void register_power(CLI::App& app, const GlobalOptions& global) {
  CLI::App* power = app.add_subcommand(
      "power",
      "Power-limit and SM-clock optimization: evaluate optimizers on measured sweeps, recommend a "
      "setting for a GPU, apply it safely through NVML");
  power->require_subcommand(1);
  power->fallthrough();
  power->footer(
      "\nExamples:\n"
      "  gpuopt power eval --data summary_power_v100.csv summary_power_a40.csv\n"
      "  gpuopt power recommend --gpu 0\n"
      "  gpuopt power apply --gpu 0 --limit 250W --dry-run\n");
  register_power_eval(*power, global);
  register_power_recommend(*power, global);
  register_power_apply(*power, global);
}

}  // namespace gpuopt::cli
