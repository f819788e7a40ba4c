// `gpuopt forecast eval`: leave-one-trace-out cross-validation of forecasters, or a trained model
// file scored on test traces.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "forecast_cli.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/anomaly_eval.hpp"
#include "gpuopt/forecast/evaluation.hpp"
#include "gpuopt/units.hpp"
#include "scored_forecasts_csv.hpp"

namespace gpuopt::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> traces;
  std::string split;
  std::string model_file;
  std::vector<std::string> test;
  std::vector<std::string> models;
  std::string stride = "1s";
  bool json = false;
  bool by_dir = false;
  std::size_t folds = 0;
  bool anomalies = false;
  std::string anomaly_model = "seq:bigru-transformer";
  std::string forecasts_csv;
  ForecastArgs forecast;
};

constexpr const char* kLeaveOneTraceOut = "leave-one-trace-out";
constexpr const char* kLeaveOneFolderOut = "leave-one-folder-out";

// The folder a trace file is in ("h100-gpt350m-train"), or its parent's for run folders that
// hold one nvidia-smi.csv each ("a100-llm-infer").
std::string group_name(const std::string& file) {
  const std::filesystem::path p(file);
  const std::filesystem::path dir = p.parent_path();
  return p.filename() == "nvidia-smi.csv" ? dir.parent_path().filename().string() : dir.filename().string();
}

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

nlohmann::ordered_json anomaly_json(const std::string& model, const forecast::AnomalyScores& a) {
  nlohmann::ordered_json by_kind = nlohmann::ordered_json::object();
  for (std::size_t k = 0; k < forecast::kInjectedKinds; ++k) {
    by_kind[std::string(forecast::injected_kind_name(static_cast<forecast::InjectedKind>(k)))] = {
        {"injected", a.injected_by_kind[k]}, {"detected", a.detected_by_kind[k]}};
  }
  const auto number = [](double v) {
    return std::isnan(v) ? nlohmann::ordered_json() : nlohmann::ordered_json(v);
  };
  return {{"model", model},
          {"injected", a.injected},
          {"detected", a.detected},
          {"recall", number(a.recall())},
          {"events", a.events},
          {"true_events", a.true_events},
          {"precision", number(a.precision())},
          {"clean_events", a.clean_events},
          {"clean_events_by_kind", a.clean_events_by_kind},
          {"clean_gpu_hours", a.clean_gpu_hours},
          {"false_alarms_per_gpu_hour", number(a.false_alarms_per_gpu_hour())},
          {"by_kind", by_kind}};
}

void print_anomalies(const std::string& model, const forecast::AnomalyScores& a) {
  fmt::print("\nanomaly detection ({} forecasts; injected into the held-out traces):\n", model);
  fmt::print("  recall {:.3f} ({} of {} injections), precision {:.3f} ({} of {} events)\n", a.recall(),
             a.detected, a.injected, a.precision(), a.true_events, a.events);
  for (std::size_t k = 0; k < forecast::kInjectedKinds; ++k) {
    fmt::print("  {:<12} {} of {} detected\n",
               forecast::injected_kind_name(static_cast<forecast::InjectedKind>(k)), a.detected_by_kind[k],
               a.injected_by_kind[k]);
  }
  fmt::print("  false alarms on the un-injected traces: {} in {:.1f} GPU-hours = {:.3f} per GPU-hour\n",
             a.clean_events, a.clean_gpu_hours, a.false_alarms_per_gpu_hour());
  for (const auto& [kind, n] : a.clean_events_by_kind) fmt::print("    {:<28} {}\n", kind, n);
}

struct EvalOutput {
  std::vector<forecast::EvalRow> rows;
  ScoredForecastsCsv forecasts;  // kept only with --forecasts
  std::optional<forecast::AnomalyScores> anomalies;
  std::string anomaly_model;
};

void print_json(const EvalOutput& output) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& r : output.rows) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    if (!r.group.empty()) row["group"] = r.group;
    row["model"] = r.model;
    row["channel"] = forecast::channel_info(r.channel).name;
    row["horizon_s"] = seconds(r.horizon);
    row["n"] = r.n;
    row["mae"] = r.mae;
    row["rmse"] = r.rmse;
    row["mase"] = std::isnan(r.mase) ? nlohmann::ordered_json() : nlohmann::ordered_json(r.mase);
    results.push_back(std::move(row));
  }
  nlohmann::ordered_json out{{"results", results}};
  if (output.anomalies) out["anomalies"] = anomaly_json(output.anomaly_model, *output.anomalies);
  std::puts(out.dump(2).c_str());
}

void print_table(const EvalOutput& output) {
  std::string group = "-";
  for (const auto& r : output.rows) {
    if (r.group != group) {
      group = r.group;
      fmt::print("{}{}\n{:<22} {:<12} {:>8} {:>8} {:>10} {:>10} {:>6} {}\n", group == "" ? "" : "\n",
                 group.empty() ? "all traces:" : group + ":", "model", "channel", "horizon", "n", "mae",
                 "rmse", "mase", "unit");
    }
    const auto& info = forecast::channel_info(r.channel);
    fmt::print("{:<22} {:<12} {:>7}s {:>8} {:>10.3f} {:>10.3f} {:>6.3f} {}\n", r.model, info.name,
               seconds(r.horizon), r.n, r.mae, r.rmse, r.mase, info.unit);
  }
  if (output.anomalies) print_anomalies(output.anomaly_model, *output.anomalies);
}

EvalOutput cross_validate(const EvalArgs& args, const GlobalOptions& global,
                          const forecast::ForecastSpec& spec, std::size_t stride) {
  forecast::CrossValidationOptions options;
  options.models = args.models.empty() ? forecast::forecaster_names() : args.models;
  if (args.anomalies &&
      std::find(options.models.begin(), options.models.end(), args.anomaly_model) == options.models.end()) {
    throw UsageError(fmt::format("--anomaly-model {} is not among --models", args.anomaly_model));
  }
  std::vector<forecast::Trace> traces = load_cli_traces(args.traces, args.forecast, global);
  if (traces.size() < 2) throw UsageError(fmt::format("{} needs at least two trace files", args.split));
  for (std::size_t i = 1; i < traces.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (std::filesystem::equivalent(traces[i].file, traces[j].file, ec)) {
        throw UsageError(
            fmt::format("--traces: {} is given twice (as {} and {}): a held-out trace would also be "
                        "trained on",
                        traces[i].file, traces[j].file, traces[i].file));
      }
    }
  }
  options.train = train_options(args.forecast);
  options.max_train_windows = args.forecast.max_windows;
  options.eval_stride = stride;
  options.folds = args.folds;
  if (args.split == kLeaveOneFolderOut) {
    options.fold_key = [](const forecast::Trace& t) { return group_name(t.file); };
  }
  const std::size_t folds = forecast::plan_folds(traces, options).folds;
  if (folds < 2) {
    const std::string folder = group_name(traces.front().file);
    throw UsageError(
        fmt::format("--split {}: every trace is in one folder ({}); it needs traces in two folders at least",
                    kLeaveOneFolderOut, folder.empty() ? "." : folder));
  }
  ProgressBar bar(args.split, folds * options.models.size(), global.quiet);
  std::size_t done = 0;
  options.on_train = [&](std::size_t, std::size_t, const std::string&) { bar.update(done++); };
  if (args.by_dir) {
    options.group = [](const forecast::Trace& t) { return group_name(t.file); };
  }
  EvalOutput output;
  if (!args.forecasts_csv.empty()) {
    options.on_forecast = [&](const forecast::Trace& test, const forecast::ScoredForecast& f) {
      output.forecasts.add(std::span<const forecast::Trace>(&test, 1), f);
    };
  }
  if (args.anomalies) {
    output.anomalies.emplace();
    output.anomaly_model = args.anomaly_model;
    options.on_fold = [&](const forecast::Trace& test,
                          const std::map<std::string, const forecast::Forecaster*>& m) {
      forecast::score_anomalies(*m.at(args.anomaly_model), test, args.forecast.seed, *output.anomalies);
    };
  }
  output.rows = forecast::leave_one_trace_out(traces, spec, options);
  bar.finish();
  return output;
}

EvalOutput score_model_file(const EvalArgs& args, const GlobalOptions& global, std::size_t stride) {
  const auto model = args.model_file.empty() ? forecast::load_default_forecaster()
                                             : forecast::load_forecaster_file(args.model_file);
  // The test traces are resampled on the model's grid.
  ForecastArgs data = args.forecast;
  data.step = fmt::format("{}ms", model->spec().step.count());
  const std::vector<forecast::Trace> traces = load_cli_traces(args.test, data, global);
  const auto windows = forecast::evaluation_windows(traces, model->spec(), stride);
  if (windows.empty()) {
    throw Error(fmt::format(
        "the test traces are too short: a forecast origin needs {} of samples before it and {} after, "
        "without a gap; the longest segment is {}",
        format_duration(model->spec().step * model->spec().window.fine_steps),
        format_duration(model->spec().horizons.back()), forecast::longest_segment(traces)));
  }
  forecast::EvalAccumulator acc(model->spec());
  // Persistence's own rows too, as the reference the MASE column divides by.
  const auto persistence = forecast::make_forecaster("persistence", model->spec());
  std::vector<const forecast::Forecaster*> models{model.get()};
  if (model->name() != "persistence") models.push_back(persistence.get());
  EvalOutput output;
  forecast::ForecastSink sink;
  if (!args.forecasts_csv.empty()) {
    sink = [&](const forecast::ScoredForecast& f) { output.forecasts.add(traces, f); };
  }
  acc.add(models, windows, sink);
  output.rows = acc.rows();
  return output;
}

void run_eval(const EvalArgs& args, const GlobalOptions& global) {
  const bool cv = !args.split.empty();
  if (cv == !args.test.empty())
    throw UsageError("give either --traces with --split leave-one-trace-out or --test");
  if (cv && args.split != kLeaveOneTraceOut && args.split != kLeaveOneFolderOut) {
    throw UsageError(
        fmt::format("--split {}: give {} or {}", args.split, kLeaveOneTraceOut, kLeaveOneFolderOut));
  }
  if (args.split == kLeaveOneFolderOut && args.folds > 0) {
    throw UsageError(fmt::format("--folds goes with --split {}; {} has one fold per folder",
                                 kLeaveOneTraceOut, kLeaveOneFolderOut));
  }
  if (cv && args.traces.empty()) throw UsageError("--split needs --traces");
  if (!cv && (!args.traces.empty() || !args.models.empty())) {
    throw UsageError(
        "--traces and --models go with --split; --test scores --model-file (or the shipped model)");
  }
  const forecast::ForecastSpec spec = forecast_spec(args.forecast);
  for (std::size_t i = 0; i < args.models.size(); ++i) {
    (void)forecast::make_forecaster(args.models[i], spec);
    if (std::find(args.models.begin(), args.models.begin() + static_cast<std::ptrdiff_t>(i),
                  args.models[i]) != args.models.begin() + static_cast<std::ptrdiff_t>(i))
      throw UsageError(fmt::format("--models: {} is given twice", args.models[i]));
  }
  if (args.folds == 1)
    throw UsageError("--folds 1 would train on nothing: give 0 (one per trace) or at least 2");
  const auto stride_steps = static_cast<std::size_t>(positive_duration("--stride", args.stride) / spec.step);
  if (!cv && (args.anomalies || args.by_dir || args.folds > 0)) {
    throw UsageError("--anomalies, --by-dir and --folds go with --split");
  }
  if (!args.forecasts_csv.empty()) {
    // Checked before the evaluation, which can take an hour, rather than when writing.
    const std::filesystem::path dir = std::filesystem::path(args.forecasts_csv).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw UsageError(fmt::format("--forecasts {}: no directory {}", args.forecasts_csv, dir.string()));
    if (std::filesystem::is_directory(args.forecasts_csv))
      throw UsageError(fmt::format("--forecasts {}: is a directory; give a file name", args.forecasts_csv));
  }
  const EvalOutput output = cv ? cross_validate(args, global, spec, std::max<std::size_t>(1, stride_steps))
                               : score_model_file(args, global, std::max<std::size_t>(1, stride_steps));
  if (!args.forecasts_csv.empty()) output.forecasts.write(args.forecasts_csv);
  if (args.json) {
    print_json(output);
  } else {
    print_table(output);
  }
}

}  // namespace

void register_forecast_eval(CLI::App& forecast, const GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = forecast.add_subcommand(
      "eval", "Score forecasters: MAE, RMSE and MASE (vs persistence) per model x channel x horizon");
  cmd->fallthrough();
  cmd->footer(
      "\nWith --split leave-one-trace-out every file is held out once: each model trains on the other files\n"
      "and is scored on it (one origin per --stride). With --split leave-one-folder-out each folder of\n"
      "traces (a GPU type and workload: the folders of --by-dir) is held out at once, so the models are\n"
      "scored on GPUs and jobs they never saw. With --test, a trained --model-file (default: the\n"
      "forecaster shipped with gpuopt) is scored on the files. See docs/forecast.md.\n\n"
      "Examples:\n"
      "  gpuopt forecast eval --traces ../shared/data/telemetry --split leave-one-trace-out --json\n"
      "  gpuopt forecast eval --traces dir/ --split leave-one-trace-out --models persistence,tree:xgboost\n"
      "  gpuopt forecast eval --model-file fc.gpuopt --test new-trace.csv\n");
  cmd->add_option("--traces", args->traces, "Trace files or directories for cross-validation")
      ->type_name("FILE|DIR");
  cmd->add_option("--split", args->split,
                  "Cross-validation scheme: leave-one-trace-out or leave-one-folder-out")
      ->type_name("SCHEME");
  cmd->add_option("--model-file", args->model_file,
                  "Trained model to score on --test (default: the shipped one)")
      ->type_name("FILE");
  cmd->add_option("--test", args->test, "Trace files or directories to score --model-file on")
      ->type_name("FILE|DIR");
  cmd->add_option("--models", args->models, "Models to cross-validate (default: all)")
      ->delimiter(',')
      ->type_name("NAME");
  cmd->add_option("--stride", args->stride, "Time between scored forecast origins")->capture_default_str();
  cmd->add_option("--folds", args->folds,
                  "0 = one fold per trace; K = K folds (trace i held out in fold i mod K), for a faster run")
      ->capture_default_str();
  cmd->add_flag("--by-dir", args->by_dir,
                "Also report each folder of traces on its own (e.g. the H100 traces)");
  cmd->add_flag(
      "--anomalies", args->anomalies,
      "Also inject labelled anomalies into each held-out trace and report detection precision/recall and "
      "false alarms per GPU-hour");
  cmd->add_option("--anomaly-model", args->anomaly_model,
                  "The fold model whose forecasts the anomaly rules use")
      ->capture_default_str();
  cmd->add_option(
         "--forecasts", args->forecasts_csv,
         "Also write every scored forecast to FILE (CSV: trace, gpu, time, model, channel, horizon_s, "
         "observed, forecast, persistence), to see where a model misses")
      ->type_name("FILE");
  cmd->add_flag("--json", args->json,
                "Print {\"results\":[{model, channel, horizon_s, n, mae, rmse, mase}]}");
  add_forecast_options(*cmd, args->forecast, true);
  cmd->callback([args, cmd, &global] {
    // A trained model brings its own grid and horizons: options that would change them are errors.
    if (!args->test.empty() || !args->model_file.empty()) {
      for (const char* option : {"--horizons", "--step"}) {
        if (cmd->count(option) > 0) {
          throw UsageError(
              fmt::format("{} applies to --split (training); a model file forecasts at its own "
                          "step and horizons",
                          option));
        }
      }
    }
    run_eval(*args, global);
  });
}

}  // namespace gpuopt::cli
