#include "forecast_cli.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::cli {

void add_forecast_options(CLI::App& cmd, ForecastArgs& args, bool training) {
  cmd.add_option(
         "--gpus", args.gpus,
         "GPUs interleaved round-robin in files without an index column (0 = detect from the timestamps)")
      ->type_name("N")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd.add_option("--step", args.step, "Resampling step of the traces and the models")->capture_default_str();
  cmd.add_option("--max-gap", args.max_gap, "A longer silence between samples splits a trace into segments")
      ->capture_default_str();
  cmd.add_option("--horizons", args.horizons, "Forecast horizons, comma-separated durations")
      ->capture_default_str();
  if (!training) return;
  cmd.add_option("--seed", args.seed, "Seed of window sampling and model initialization")
      ->capture_default_str();
  cmd.add_option("--budget", args.budget, "Wall-clock training budget per model (sequence models stop there)")
      ->capture_default_str();
  cmd.add_option("--max-steps", args.max_steps,
                 "Optimizer steps of a sequence model (runs are reproducible when this ends training first)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  cmd.add_option("--max-windows", args.max_windows, "Training windows sampled from the traces")
      ->check(CLI::Range(std::size_t{100}, std::size_t{100'000'000}))
      ->capture_default_str();
  cmd.add_option("--threads", args.threads, "Threads for torch / XGBoost")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
}

forecast::ForecastSpec forecast_spec(const ForecastArgs& args) {
  forecast::ForecastSpec spec;
  spec.step = positive_duration("--step", args.step);
  if (spec.step > forecast::kMaxStep)
    throw UsageError(fmt::format("--step {}: must be at most 1h", args.step));
  spec.horizons = parse_option("--horizons", args.horizons,
                               [&](const std::string& t) { return forecast::parse_horizons(t, spec.step); });
  return spec;
}

forecast::TraceLoadOptions trace_load_options(const ForecastArgs& args) {
  forecast::TraceLoadOptions options;
  options.gpus = args.gpus;
  options.resample.step = positive_duration("--step", args.step);
  options.resample.max_gap = positive_duration("--max-gap", args.max_gap);
  if (options.resample.max_gap < options.resample.step) throw UsageError("--max-gap must be at least --step");
  return options;
}

forecast::TrainOptions train_options(const ForecastArgs& args) {
  forecast::TrainOptions options;
  options.seed = args.seed;
  options.budget_s = static_cast<double>(positive_duration("--budget", args.budget).count()) / 1000.0;
  options.max_steps = args.max_steps;
  options.threads = args.threads;
  options.stop = &stop_flag();
  return options;
}

std::vector<forecast::Trace> load_cli_traces(const std::vector<std::string>& paths, const ForecastArgs& args,
                                             const GlobalOptions& global) {
  const std::vector<std::string> files = forecast::expand_trace_paths(paths);
  forecast::TraceLoadOptions options = trace_load_options(args);
  ProgressBar bar("loading traces", files.size(), global.quiet);
  options.on_issue = [&](const std::string& message) {
    // As `gpuopt import` does, even with --quiet; past the progress bar's line otherwise.
    fmt::print(stderr, "{}gpuopt: warning: {}\n", global.quiet ? "" : "\n", message);
  };
  auto traces =
      forecast::load_traces(files, options, [&](std::size_t i, const std::string&) { bar.update(i); });
  bar.finish();
  return traces;
}

}  // namespace gpuopt::cli
