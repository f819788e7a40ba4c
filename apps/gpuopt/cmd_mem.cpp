// `gpuopt mem` and `gpuopt mem train`.
#include <chrono>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "gpuopt/error.hpp"
#include "mem_commands.hpp"

namespace gpuopt::cli {
namespace {

struct TrainArgs {
  std::vector<std::string> data;
  std::string model = "seq:bigru-transformer";
  std::string out;
  int epochs = 0;
  std::uint64_t seed = 1;
  int threads = 1;
  std::string init_from;
  std::string freeze = "none";
  memory::RowSelection selection;
};

void train(const TrainArgs& args, const GlobalOptions& global) {
  auto predictor = memory::make_predictor(args.model);  // an unknown name fails before reading data
  if (args.freeze != "none" && args.init_from.empty()) {
    throw UsageError("--freeze " + args.freeze + " needs --init-from (a pretrained model to fine-tune)");
  }
  std::optional<ml::ModelFile> init;
  if (!args.init_from.empty()) init = ml::load_model_file(args.init_from);
  std::vector<memory::Task> rows;
  for (memory::Task& t : read_task_files(args.data)) {
    if (memory::is_trainable(t, args.selection)) rows.push_back(std::move(t));
  }
  memory::TrainOptions options;
  options.seed = args.seed;
  options.threads = args.threads;
  options.epochs = args.epochs;
  options.stop = &stop_flag();
  if (init) {
    options.init = &*init;
    options.init_source = args.init_from;
    options.freeze = memory::parse_freeze_policy(args.freeze);
  }
  std::optional<ProgressBar> bar;
  memory::TrainProgress last;
  options.on_progress = [&](const memory::TrainProgress& p) {
    if (!bar) bar.emplace("training " + args.model, static_cast<std::uint64_t>(p.epochs), global.quiet);
    bar->update(static_cast<std::uint64_t>(p.epoch));
    last = p;
  };
  const auto start = std::chrono::steady_clock::now();
  predictor->fit(rows, options);
  if (bar) bar->finish();
  if (stop_flag()) throw Error("training interrupted; no model written");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ml::save_model_file(args.out, predictor->save());
  fmt::print(
      "{} {} on {} rows of {} file{} in {:.1f} s{}; wrote {}\n", init ? "fine-tuned" : "trained", args.model,
      rows.size(), args.data.size(), args.data.size() == 1 ? "" : "s", seconds,
      last.best_val_mape > 0 ? fmt::format(" (validation MAPE {:.1f} %)", 100 * last.best_val_mape) : "",
      args.out);
}

}  // namespace

std::vector<memory::Task> read_task_files(const std::vector<std::string>& paths) {
  std::vector<memory::Task> tasks;
  for (const auto& path : paths) {
    std::vector<memory::Task> file_tasks = memory::read_tasks(path);
    if (file_tasks.empty()) throw Error(fmt::format("{}: no task in the file (it is empty)", path));
    tasks.insert(tasks.end(), std::make_move_iterator(file_tasks.begin()),
                 std::make_move_iterator(file_tasks.end()));
  }
  return tasks;
}

void add_row_selection_flags(CLI::App& cmd, memory::RowSelection& selection) {
  cmd.add_flag("--include-noisy", selection.include_noisy,
               "Also use rows of quality 'noisy' (memory that does not grow with batch size)");
  cmd.add_flag("--include-near-capacity", selection.include_near_capacity,
               "Also use rows of status 'near_capacity' (peak possibly capped by the card)");
}

std::unique_ptr<memory::MemoryPredictor> open_predictor(const std::string& model_file) {
  return model_file.empty() ? memory::load_default_predictor() : memory::load_predictor_file(model_file);
}

void register_mem_train(CLI::App& mem, const GlobalOptions& global) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = mem.add_subcommand(
      "train", "Train a memory model on measured tasks and write it to one self-contained model file");
  cmd->fallthrough();
  cmd->footer(
      "\nTrains on rows with status ok and quality clean (plus oom rows, which the sequence models\n"
      "learn as 'needs more than the GPU'); early stopping and the safe bound's calibration use a\n"
      "validation split grouped by model family. Models: " +
      fmt::format("{}", fmt::join(memory::predictor_names(), ", ")) +
      ".\n\n"
      "Examples:\n"
      "  gpuopt mem train --data timm_a100.jsonl --model seq:bigru-transformer --out mem.gpuopt\n"
      "  gpuopt mem train --data timm_a100.jsonl cnn_a100.jsonl --model tree:xgboost --out xgb.gpuopt\n"
      "  gpuopt mem train --data mine.jsonl --init-from mem.gpuopt --freeze encoder --out tuned.gpuopt\n");
  cmd->add_option("--data", args->data, "Task JSONL files with measured peaks (schema v1)")
      ->type_name("FILE")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--model", args->model, "Model to train (registry name)")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Model file to write")->type_name("FILE")->required();
  cmd->add_option("--epochs", args->epochs, "Sequence models: maximum epochs (0 = the default, 60)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same model)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--init-from", args->init_from,
                  "Fine-tune this pretrained model file (a seq:* model, the same as --model)")
      ->type_name("FILE");
  cmd->add_option("--freeze", args->freeze, "With --init-from: parameters kept fixed (none, encoder)")
      ->check(CLI::IsMember({"none", "encoder"}))
      ->capture_default_str();
  add_row_selection_flags(*cmd, args->selection);
  cmd->callback([args, &global] { train(*args, global); });
}

void register_mem(CLI::App& app, const GlobalOptions& global) {
  CLI::App* mem = app.add_subcommand(
      "mem", "Predict the peak GPU memory of deep-learning training tasks; train and evaluate the models");
  mem->require_subcommand(1);
  mem->fallthrough();
  register_mem_train(*mem, global);
  register_mem_eval(*mem, global);
  register_mem_predict(*mem, global);
}

}  // namespace gpuopt::cli
