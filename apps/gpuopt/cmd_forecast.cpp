// `gpuopt forecast train`: fit a forecaster on traces and write its model file.
#include <chrono>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "forecast_cli.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/training.hpp"
#include "gpuopt/ml/model_file.hpp"

namespace gpuopt::cli {
namespace {

struct TrainArgs {
  std::vector<std::string> traces;
  std::string model = "seq:bigru-transformer";
  std::string out;
  ForecastArgs forecast;
};

void run_train(const TrainArgs& args, const GlobalOptions& global) {
  const forecast::ForecastSpec spec = forecast_spec(args.forecast);
  (void)forecast::make_forecaster(args.model, spec);  // an unknown name fails before loading
  const std::vector<forecast::Trace> traces = load_cli_traces(args.traces, args.forecast, global);
  forecast::TrainOptions options = train_options(args.forecast);
  ProgressBar bar("training " + args.model, 1000, global.quiet);
  options.on_progress = [&bar](double fraction) { bar.update(static_cast<std::uint64_t>(fraction * 1000)); };
  const auto started = std::chrono::steady_clock::now();
  const auto model = forecast::train_forecaster(args.model, traces, spec, options, args.forecast.max_windows);
  // Stopped: a partly trained model must not pass for a trained one (nor replace an --out file).
  if (stop_flag()) throw Error("training interrupted; no model written");
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ml::ModelFile file;
  model->save(file);
  file.meta["training"] = {{"traces", traces.size()}, {"seed", args.forecast.seed}, {"seconds", seconds}};
  ml::save_model_file(args.out, file);
  std::size_t gpus = 0;
  for (const auto& t : traces) gpus += t.gpus.size();
  fmt::print("trained {} on {} trace{} ({} GPU series) in {:.1f} s -> {}\n", args.model, traces.size(),
             traces.size() == 1 ? "" : "s", gpus, seconds, args.out);
}

}  // namespace

void register_forecast_train(CLI::App& forecast, const GlobalOptions& global) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = forecast.add_subcommand("train", "Train a forecaster on nvidia-smi CSV traces and save it");
  cmd->fallthrough();
  cmd->footer(
      "\nThe model file is self-contained (meta domain \"forecast\"); `gpuopt serve --forecast-model FILE`\n"
      "and `gpuopt forecast eval --model-file FILE` use it. See docs/forecast.md.\n\n"
      "Examples:\n"
      "  gpuopt forecast train --traces ../shared/data/telemetry --out fc.gpuopt\n"
      "  gpuopt forecast train --traces a.csv b.csv --model tree:xgboost --horizons 1s,10s --out "
      "trees.gpuopt\n");
  cmd->add_option("--traces", args->traces, "nvidia-smi CSV files or directories (every *.csv below)")
      ->type_name("FILE|DIR")
      ->required();
  cmd->add_option("--model", args->model,
                  fmt::format("Model: {}", fmt::join(forecast::forecaster_names(), ", ")))
      ->capture_default_str();
  cmd->add_option("-o,--out", args->out, "Model file to write")->type_name("FILE")->required();
  add_forecast_options(*cmd, args->forecast, true);
  cmd->callback([args, &global] { run_train(*args, global); });
}

void register_forecast(CLI::App& app, const GlobalOptions& global) {
  CLI::App* cmd = app.add_subcommand(
      "forecast", "Forecast GPU telemetry (power, utilization, memory, ...): train and evaluate forecasters");
  cmd->fallthrough();
  cmd->require_subcommand(1);
  register_forecast_train(*cmd, global);
  register_forecast_eval(*cmd, global);
}

}  // namespace gpuopt::cli
