// `gpuopt power apply`: change a GPU's power limit or SM clock through NVML, safely.
#include <charconv>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cmd_power.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/device_control.hpp"
#include "gpuopt/power/safe_apply.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

struct ApplyArgs {
  int gpu = -1;
  std::string limit;
  std::string sm_clock;
  bool reset = false;
  bool dry_run = false;
  // Given at all (an empty `--limit ""` is given, and refused, not taken as absent).
  const CLI::Option* limit_option = nullptr;
  const CLI::Option* sm_clock_option = nullptr;
};

// --gpu: only an NVML index reaches a GPU's setters (not a UUID or a store #id).
std::string check_nvml_index(const std::string& text) {
  int index = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (error == std::errc() && end == text.data() + text.size() && index >= 0) return "";
  return fmt::format("'{}' is not an NVML index (0, 1, ...; `gpuopt devices --source nvml` lists them)",
                     text);
}

power::SettingChange change_of(const ApplyArgs& args) {
  const bool limit = args.limit_option->count() > 0;
  const bool sm_clock = args.sm_clock_option->count() > 0;
  const int chosen = (limit ? 1 : 0) + (sm_clock ? 1 : 0) + (args.reset ? 1 : 0);
  if (chosen != 1) throw UsageError("give exactly one of --limit, --sm-clock and --reset");
  power::SettingChange c;
  c.gpu = args.gpu;
  c.dry_run = args.dry_run;
  if (limit) {
    c.kind = power::SettingChange::Kind::power_limit;
    c.value = parse_option("--limit", args.limit, [](const std::string& t) { return parse_power_w(t); });
  } else if (sm_clock) {
    c.kind = power::SettingChange::Kind::sm_clock;
    c.value =
        parse_option("--sm-clock", args.sm_clock, [](const std::string& t) { return parse_clock_mhz(t); });
  } else {
    c.kind = power::SettingChange::Kind::reset;
  }
  return c;
}

void run(const ApplyArgs& args, const GlobalOptions& global) {
  const power::SettingChange change = change_of(args);
  const auto control = power::open_nvml_control(global.nvml_library);
  Store store = Store::open(resolve_db_path(global));
  if (!change.dry_run) {
    for (const std::string& line : power::recover_pending(*control, store))
      fmt::print(stderr, "gpuopt: {}\n", line);
  }
  fmt::print("{}\n", power::apply_setting(*control, store, change).message);
}

}  // namespace

void register_power_apply(CLI::App& power, const GlobalOptions& global) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* cmd = power.add_subcommand(
      "apply",
      "Set a GPU's power limit or lock its SM clock through NVML, within the limits the device reports; "
      "the value it replaces is recorded in the store and every change is an audit event");
  cmd->fallthrough();
  cmd->footer(
      "\nNeeds root (or CAP_SYS_ADMIN) unless --dry-run. A change interrupted mid-way (the process died)\n"
      "is undone the next time `gpuopt power apply` or `gpuopt serve` starts. `gpuopt events --kind power.`\n"
      "lists the audit trail (docs/power.md).\n\n"
      "Examples:\n"
      "  gpuopt power apply --gpu 0 --limit 250W --dry-run\n"
      "  sudo gpuopt power apply --gpu 0 --limit 250W\n"
      "  sudo gpuopt power apply --gpu 0 --sm-clock 1400MHz\n"
      "  sudo gpuopt power apply --gpu 0 --reset          # back to the values before gpuopt's changes\n");
  cmd->add_option("--gpu", args->gpu, "NVML index of the GPU")
      ->required()
      ->check(CLI::Validator(check_nvml_index, "INDEX"));
  args->limit_option = cmd->add_option("--limit", args->limit, "New power limit, e.g. 250W");
  args->sm_clock_option = cmd->add_option("--sm-clock", args->sm_clock,
                                          "Lock the SM clock at this supported clock, e.g. 1400MHz");
  cmd->add_flag("--reset", args->reset,
                "Restore the values before gpuopt's first change (unlock the SM clock)");
  cmd->add_flag("--dry-run", args->dry_run, "Check and describe the change without making or recording it");
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace gpuopt::cli
