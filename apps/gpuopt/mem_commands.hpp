// The `gpuopt mem` subcommands (cmd_mem*.cpp), registered on the `mem` command by register_mem.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "gpuopt/memory/evaluation.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/memory/task.hpp"

namespace gpuopt::cli {

void register_mem_train(CLI::App& mem, const GlobalOptions& global);    // cmd_mem.cpp
void register_mem_eval(CLI::App& mem, const GlobalOptions& global);     // cmd_mem_eval.cpp
void register_mem_predict(CLI::App& mem, const GlobalOptions& global);  // cmd_mem_predict.cpp

// Every task of every file, in order (read_tasks errors name the file and line). A file without
// any task (empty, or only blank lines) is an error naming it: every caller needs tasks.
std::vector<memory::Task> read_task_files(const std::vector<std::string>& paths);

// --include-noisy / --include-near-capacity
void add_row_selection_flags(CLI::App& cmd, memory::RowSelection& selection);

// The model in `model_file`, or the one shipped with gpuopt when it is empty.
std::unique_ptr<memory::MemoryPredictor> open_predictor(const std::string& model_file);

}  // namespace gpuopt::cli
