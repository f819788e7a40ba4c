// Options and helpers shared by `gpuopt forecast train` and `gpuopt forecast eval`.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/forecast/trace_loader.hpp"

namespace gpuopt::cli {

struct ForecastArgs {
  int gpus = 0;
  std::string step = "100ms";
  std::string max_gap = "10s";
  std::string horizons = "1s,5s,30s";
  std::uint64_t seed = 1;
  std::string budget = "2m";
  std::size_t max_steps = 3000;
  std::size_t max_windows = 60000;
  int threads = 1;
};

// --gpus, --step, --max-gap, --horizons (the data); with `training`, also --seed, --budget,
// --max-steps, --max-windows and --threads.
void add_forecast_options(CLI::App& cmd, ForecastArgs& args, bool training);

forecast::ForecastSpec forecast_spec(const ForecastArgs& args);
forecast::TraceLoadOptions trace_load_options(const ForecastArgs& args);
forecast::TrainOptions train_options(const ForecastArgs& args);

// Expands FILE|DIR arguments and loads them with a progress bar; a file that cannot be used
// fails the command with its error (ParseError names the file).
std::vector<forecast::Trace> load_cli_traces(const std::vector<std::string>& paths, const ForecastArgs& args,
                                             const GlobalOptions& global);

void register_forecast_train(CLI::App& forecast, const GlobalOptions& global);  // cmd_forecast.cpp
void register_forecast_eval(CLI::App& forecast, const GlobalOptions& global);   // cmd_forecast_eval.cpp

}  // namespace gpuopt::cli
