// `gpuopt mem eval`: cross-validation of every model side by side, or a trained model on test files.
#include <charconv>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_write.hpp"
#include "mem_commands.hpp"

namespace gpuopt::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> data;
  std::string split;
  std::string model_file;
  std::vector<std::string> test;
  std::vector<std::string> models;
  std::uint64_t seed = 1;
  int threads = 1;
  int epochs = 0;
  bool json = false;
  std::string predictions_file;
  memory::RowSelection selection;
};

// The evaluation's figures, and the CSV lines of --predictions (empty when not asked for).
struct EvalResult {
  std::vector<memory::ModelScores> rows;
  std::string predictions_csv;
};

// "family-kfold:K" -> K
int parse_split(const std::string& split) {
  const std::string prefix = "family-kfold:";
  int k = 0;
  const char* end = split.data() + split.size();
  if (split.starts_with(prefix)) {
    const auto [ptr, ec] = std::from_chars(split.data() + prefix.size(), end, k);
    if (ec == std::errc() && ptr == end && k >= 2) return k;
  }
  throw UsageError(
      fmt::format("--split '{}': expected family-kfold:K with K >= 2, e.g. family-kfold:5", split));
}

EvalResult cross_validate_all(const EvalArgs& args, const GlobalOptions& global) {
  const int k = parse_split(args.split);
  const std::vector<std::string> names = args.models.empty() ? memory::predictor_names() : args.models;
  for (const auto& name : names) memory::make_predictor(name);  // unknown names fail before the work
  const std::vector<memory::Task> tasks = read_task_files(args.data);
  const std::vector<int> folds = memory::group_folds(tasks, k, args.seed);
  memory::TrainOptions options;
  options.seed = args.seed;
  options.threads = args.threads;
  options.epochs = args.epochs;
  options.stop = &stop_flag();
  ProgressBar bar(fmt::format("cross-validating {} models x {} folds", names.size(), k),
                  names.size() * static_cast<std::size_t>(k), global.quiet);
  EvalResult result;
  for (std::size_t m = 0; m < names.size(); ++m) {
    const memory::HeldOutRun run = memory::cross_validate(
        names[m], tasks, folds, k, args.selection, options,
        [&](int fold, int) { bar.update(m * static_cast<std::size_t>(k) + fold + 1); });
    result.rows.push_back(run.summary);
    if (!args.predictions_file.empty())
      result.predictions_csv +=
          memory::predictions_csv(names[m], tasks, folds, run.predictions, args.selection);
  }
  bar.finish();
  return result;
}

EvalResult evaluate_file(const EvalArgs& args) {
  if (args.test.empty()) throw UsageError("--model-file needs --test FILE...");
  if (!args.models.empty())
    throw UsageError("--models applies to --split; --model-file evaluates that model");
  const auto predictor = memory::load_predictor_file(args.model_file);
  const std::vector<memory::Task> tasks = read_task_files(args.test);
  const memory::HeldOutRun run = memory::evaluate_predictor(*predictor, tasks, args.selection);
  if (run.summary.scores.n == 0) {
    throw Error(fmt::format(
        "no row to score: none of the {} tasks in --test has a measured peak and status 'ok' with quality "
        "'clean' (--include-noisy and --include-near-capacity admit others)",
        tasks.size()));
  }
  EvalResult result{{run.summary}, {}};
  if (!args.predictions_file.empty())
    result.predictions_csv =
        memory::predictions_csv(predictor->name(), tasks, {}, run.predictions, args.selection);
  return result;
}

void eval(const EvalArgs& args, const GlobalOptions& global) {
  const bool cv = !args.split.empty() || !args.data.empty();
  if (cv == !args.model_file.empty()) {
    throw UsageError("give either --data FILE... --split family-kfold:K or --model-file M --test FILE...");
  }
  if (cv && (args.data.empty() || args.split.empty()))
    throw UsageError("--split needs --data FILE... and vice versa");
  const EvalResult result = cv ? cross_validate_all(args, global) : evaluate_file(args);
  if (!args.predictions_file.empty()) {
    write_file_atomically(args.predictions_file, memory::predictions_csv_header() + result.predictions_csv,
                          "predictions file");
  }
  if (args.json) {
    fmt::print("{}\n", memory::scores_json(result.rows).dump());
  } else {
    fmt::print("{}", memory::scores_table(result.rows));
  }
}

}  // namespace

void register_mem_eval(CLI::App& mem, const GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = mem.add_subcommand(
      "eval", "Score memory models side by side: grouped cross-validation, or a trained model on test files");
  cmd->fallthrough();
  cmd->footer(
      "\nScores rows with status ok and quality clean unless --include-* says otherwise. Cross-validation\n"
      "trains every model anew per fold; folds hold whole model families (sets with fewer than 5\n"
      "families, like the generated MLP/CNN sets, are grouped by model). Columns: MSE (MiB^2), RMSE\n"
      "and MAE (MiB), R2, MAPE and median APE, under-prediction rate (prediction < 95 % of measured),\n"
      "the safe bound's coverage and median over-provisioning, train time (s) and predict time per row.\n\n"
      "Examples:\n"
      "  gpuopt mem eval --data timm_a100.jsonl --split family-kfold:5\n"
      "  gpuopt mem eval --data timm_a100.jsonl --split family-kfold:5 --models analytic,tree:xgboost "
      "--json\n"
      "  gpuopt mem eval --model-file mem.gpuopt --test cnn_a100.jsonl --predictions cnn.csv\n");
  cmd->add_option("--data", args->data, "Task JSONL files to cross-validate on")
      ->type_name("FILE")
      ->expected(1, -1);
  cmd->add_option("--split", args->split, "Cross-validation split: family-kfold:K")->type_name("SPLIT");
  cmd->add_option("--model-file", args->model_file, "A trained model file to evaluate on --test")
      ->type_name("FILE");
  cmd->add_option("--test", args->test, "Task JSONL files to evaluate --model-file on")
      ->type_name("FILE")
      ->expected(1, -1);
  cmd->add_option("--models", args->models, "Models to cross-validate, comma-separated (default: all)")
      ->type_name("NAME,...")
      ->delimiter(',');
  cmd->add_option("--seed", args->seed, "Random seed of the folds and the training")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "Sequence models: maximum epochs (0 = the default)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object instead of the table");
  cmd->add_option("--predictions", args->predictions_file,
                  "Also write every task's prediction to this CSV file (model, fold, id, family, batch_size, "
                  "status, quality, scored, measured_mib, peak_mem_mib, peak_mem_upper_mib)")
      ->type_name("FILE");
  add_row_selection_flags(*cmd, args->selection);
  cmd->callback([args, &global] { eval(*args, global); });
}

}  // namespace gpuopt::cli
