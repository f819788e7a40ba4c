// `gpuopt power eval`: optimizers on measured sweeps, leave-one-GPU-out.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cmd_power.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/file_write.hpp"
#include "gpuopt/power/data.hpp"
#include "gpuopt/power/evaluate.hpp"
#include "gpuopt/power/recommend.hpp"

namespace gpuopt::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> data;
  std::string holdout_gpu;
  double eta = 0.5;
  std::string max_slowdown;
  bool clock = false;
  std::vector<std::string> optimizers{"default", "oracle", "zeus-sweep", "gpuopt"};
  double epochs = 0;
  double noise = 0;
  std::uint64_t seed = 1;
  bool json = false;
  bool jobs = false;
  std::string save_prior;
  int transfer = 0;
};

void print_transfer(const std::vector<power::TransferPoint>& curve, bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& p : curve) {
      rows.push_back({{"probes", p.probes},
                      {"pretrained_error", p.pretrained_error},
                      {"uninformed_error", p.uninformed_error},
                      {"pretrained_regret", p.pretrained_regret},
                      {"uninformed_regret", p.uninformed_regret}});
    }
    fmt::print("{}\n", nlohmann::json{{"transfer", rows}}.dump(2));
    return;
  }
  fmt::print(
      "Probes beyond the maximum setting vs accuracy (medians over held-out jobs, leave-one-GPU-out)\n");
  fmt::print("{:>6}  {:>22}  {:>22}  {:>20}  {:>20}\n", "probes", "cost error pretrained",
             "cost error uninformed", "regret pretrained", "regret uninformed");
  for (const auto& p : curve) {
    fmt::print("{:>6}  {:>21.2f}%  {:>21.2f}%  {:>19.2f}%  {:>19.2f}%\n", p.probes, 100 * p.pretrained_error,
               100 * p.uninformed_error, 100 * p.pretrained_regret, 100 * p.uninformed_regret);
  }
}

std::string pct(double fraction) { return fmt::format("{:+.1f}%", 100 * fraction); }

void print_table(const power::Evaluation& e, const power::Objective& objective, bool jobs) {
  const char* unit = e.knob == power::Knob::power_limit_w ? "W" : "MHz";
  fmt::print("Objective: {}; GPUs evaluated (each with optimizers trained on the others): {}\n\n",
             objective.describe(), fmt::join(e.gpus, ", "));
  if (jobs) {
    fmt::print("{:<11} {:<6} {:<36} {:>6} {:>9} {:>8} {:>9} {:>9} {:>10}\n", "optimizer", "gpu", "workload",
               "batch", "setting", "saving", "slowdown", "vs oracle", "probe");
    for (const auto& r : e.results) {
      fmt::print("{:<11} {:<6} {:<36} {:>6} {:>7g}{:<3} {:>8} {:>9} {:>9.4f} {:>9.1f}s\n", r.optimizer, r.gpu,
                 r.workload, r.batch_size, r.setting, unit, pct(r.energy_saving), pct(r.slowdown),
                 r.cost_vs_oracle, r.probe_s);
    }
    fmt::print("\n");
  }
  fmt::print("{:<11} {:>5} {:>16} {:>14} {:>15} {:>16} {:>14}\n", "optimizer", "jobs", "cost vs oracle",
             "energy saving", "slowdown", "probe time", "over bound");
  fmt::print("{:<11} {:>5} {:>16} {:>14} {:>15} {:>16} {:>14}\n", "", "", "(median)", "(median)",
             "(median/worst)", "(median)", "");
  for (const auto& s : e.summary) {
    fmt::print("{:<11} {:>5} {:>16.4f} {:>14} {:>15} {:>15.1f}s {:>14}\n", s.optimizer, s.jobs,
               s.median_cost_vs_oracle, pct(s.median_energy_saving),
               pct(s.median_slowdown) + "/" + pct(s.worst_slowdown), s.median_probe_s,
               objective.kind == power::Objective::Kind::max_slowdown ? std::to_string(s.over_bound) : "-");
  }
}

nlohmann::json to_json(const power::Evaluation& e) {
  const char* setting_key = e.knob == power::Knob::power_limit_w ? "power_limit_w" : "sm_clock_mhz";
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : e.results) {
    results.push_back({{"optimizer", r.optimizer},
                       {"gpu", r.gpu},
                       {"workload", r.workload},
                       {"batch_size", r.batch_size},
                       {setting_key, r.setting},
                       {"energy_saving", r.energy_saving},
                       {"slowdown", r.slowdown},
                       {"cost_vs_oracle", r.cost_vs_oracle},
                       {"probe_s", r.probe_s}});
  }
  nlohmann::json summary = nlohmann::json::array();
  for (const auto& s : e.summary) {
    summary.push_back({{"optimizer", s.optimizer},
                       {"median_cost_vs_oracle", s.median_cost_vs_oracle},
                       {"median_energy_saving", s.median_energy_saving},
                       {"median_probe_s", s.median_probe_s}});
  }
  return {{"results", results}, {"summary", summary}};
}

void run(const EvalArgs& args, const GlobalOptions& global) {
  power::EvalOptions options;
  options.objective = power::make_objective(args.eta, args.max_slowdown, args.clock);
  options.optimizers = args.optimizers;
  options.holdout_gpu = args.holdout_gpu;
  options.epochs = args.epochs;
  if (!(args.noise >= 0 && args.noise <= 1))
    throw UsageError(fmt::format("--noise {:g}: must be a fraction in [0, 1]", args.noise));
  if (!(args.epochs >= 0 && args.epochs <= 1e6))
    throw UsageError(fmt::format("--epochs {:g}: must be in [0, 1e6]", args.epochs));
  options.noise = {args.noise, args.seed};
  std::vector<power::JobCurve> curves;
  std::map<std::filesystem::path, std::string> seen;  // canonical path -> the --data argument
  for (const std::string& spec : args.data) {
    std::error_code error;
    const auto path = std::filesystem::weakly_canonical(power::parse_power_file_spec(spec).path, error);
    if (!error) {
      if (const auto [it, added] = seen.emplace(path, spec); !added) {
        throw UsageError(
            fmt::format("--data {}: the same file as --data {}; give each file once", spec, it->second));
      }
    }
    auto loaded = power::load_power_file(spec);
    curves.insert(curves.end(), loaded.begin(), loaded.end());
  }
  if (!args.save_prior.empty()) {
    const auto knob = args.clock ? power::Knob::sm_clock_mhz : power::Knob::power_limit_w;
    write_file_atomically(args.save_prior, power::fit_prior_json(curves, knob) + "\n", "prior file");
    if (!global.quiet)
      fmt::print(stderr, "gpuopt: saved the curve model fitted on all the data to {}\n", args.save_prior);
  }
  if (args.transfer > 0) {
    print_transfer(power::transfer_curve(curves, options, args.transfer), args.json);
    return;
  }
  std::optional<ProgressBar> bar;
  const auto evaluation = power::evaluate(curves, options, [&](std::size_t done, std::size_t total) {
    if (!bar) bar.emplace("evaluating", total, global.quiet);
    bar->update(done);
  });
  if (bar) bar->finish();
  if (args.json) {
    fmt::print("{}\n", to_json(evaluation).dump(2));
  } else {
    print_table(evaluation, options.objective, args.jobs);
  }
}

}  // namespace

void register_power_eval(CLI::App& power, const GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = power.add_subcommand(
      "eval",
      "Run the optimizers on measured power-limit (or SM-clock) sweeps through the trace-driven GPU model, "
      "leave-one-GPU-out, and compare them with the default setting and the oracle");
  cmd->fallthrough();
  cmd->footer(
      "\nA Zeus summary file's GPU is its file name (summary_power_<gpu>.csv) unless given as GPU=FILE.\n"
      "Jobs on a GPU are optimized by models trained on the other GPUs' curves only. Costs include\n"
      "everything spent probing. See docs/power.md for the model and the data formats.\n\n"
      "Examples:\n"
      "  gpuopt power eval --data summary_power_v100.csv summary_power_a40.csv\n"
      "  gpuopt power eval --data v100=sweep.csv a40=other.csv --holdout-gpu a40 --json\n"
      "  gpuopt power eval --data summary_power_*.csv --max-slowdown 5%\n"
      "  gpuopt power eval --clock --data v100-dvfs-real-profile.csv rtx8000-dvfs-real-profile.csv\n");
  cmd->add_option("--data", args->data,
                  "Measured sweeps: FILE or GPU=FILE (Zeus, zeus-profile, Perseus, DVFS)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--holdout-gpu", args->holdout_gpu, "Evaluate only this GPU (default: every GPU in turn)");
  CLI::Option* eta =
      cmd->add_option("--eta", args->eta, "Zeus cost weight of energy: eta*energy + (1-eta)*max_limit*time")
          ->capture_default_str();
  cmd->add_option("--max-slowdown", args->max_slowdown,
                  "Minimise energy with at most this slowdown instead (e.g. 5%)")
      ->excludes(eta);
  cmd->add_flag("--clock", args->clock, "SM-clock mode: clock curves, energy x delay objective");
  cmd->add_option("--optimizers", args->optimizers, "Optimizers to run: default, oracle, zeus-sweep, gpuopt")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--epochs", args->epochs,
                  "Job length in epochs (0 = epochs to target from summary_train.csv, else 10)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--noise", args->noise, "Relative noise of a 40-iteration measurement window (e.g. 0.02)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the measurement noise")->capture_default_str();
  cmd->add_flag("--jobs", args->jobs, "Also print one line per optimizer and job");
  cmd->add_option("--save-prior", args->save_prior,
                  "Also fit the gpuopt curve model on all the data and save it (the shipped one: "
                  "models/power-prior.json)");
  cmd->add_option(
         "--transfer", args->transfer,
         "Instead, print the transfer-learning curve of the gpuopt model: accuracy after 0..N probes, "
         "pretrained vs uninformed")
      ->check(CLI::Range(0, 20));
  cmd->add_flag("--json", args->json, "Print JSON: {results: [...], summary: [...]}");
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace gpuopt::cli
