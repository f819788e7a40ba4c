#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/nvidia_smi_csv.hpp"
#include "gpuopt/prometheus_import.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

struct ImportArgs {
  std::vector<std::string> files;
  int gpus = 0;  // 0 = detect from the timestamps
  bool replace = false;
  std::size_t max_issues = 10;
  std::string prometheus_url;
  std::string query = R"({__name__=~"DCGM_FI_DEV_.*|gpuopt_.*"})";
  std::string from = "-1h";
  std::string to = "now";
  std::string step = "1s";
  std::string timeout = "30s";
};

// What importing one CSV file did.
struct FileImport {
  CsvReadResult result;
  std::vector<DeviceId> device_ids;
  EpochMs first_ms = std::numeric_limits<EpochMs>::max();
  EpochMs last_ms = std::numeric_limits<EpochMs>::min();
};

void add_failure_event(Store& store, const std::string& path, const std::string& reason) {
  Event e;
  e.time_ms = now_ms();
  e.kind = "import";
  e.severity = "error";
  e.message = reason;
  e.details_json = nlohmann::json{{"file", path}, {"error", reason}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

// The id prefix of `path`'s GPUs when they are identified by their position (no uuid column):
// the shortest "trace:<folders>/<file>:gpu" that no other file's import holds in the store, so
// node-a/run1/nvidia-smi.csv and node-b/run1/nvidia-smi.csv do not share GPUs (the second used
// to overwrite the first one's samples). Re-importing a file finds its own prefix again.
std::string positional_id_prefix(const Store& store, const std::string& path) {
  const auto absolute = std::filesystem::absolute(path).lexically_normal();
  const auto devices = store.devices();
  const auto held_by_another_file = [&](const std::string& prefix) {
    return std::any_of(devices.begin(), devices.end(), [&](const StoredDevice& d) {
      if (!d.info.uuid.starts_with(prefix)) return false;
      if (!d.origin.starts_with("import:")) return true;
      const std::string file = d.origin.substr(7);  // stores of 2026-12-05 and before: as typed
      return std::filesystem::absolute(file).lexically_normal() != absolute;
    });
  };
  const auto relative = absolute.relative_path();
  const auto parts = static_cast<int>(std::distance(relative.begin(), relative.end()));
  for (int components = 2; components <= parts; ++components) {
    const std::string prefix = positional_device_id_prefix(path, components);
    if (!held_by_another_file(prefix)) return prefix;
  }
  return positional_device_id_prefix(path, 0);
}

// --replace: deletes what earlier imports of `path` stored under GPUs identified by their position
// in the file (ids starting with `prefix`), so a file imported with a wrong --gpus can be imported
// again. GPUs with a real UUID may hold samples from other sources and are left alone.
void remove_earlier_import(Store& store, const std::string& path, const std::string& prefix, bool quiet) {
  std::int64_t removed = 0;
  int gpus = 0;
  for (const StoredDevice& d : store.devices()) {
    if (!d.info.uuid.starts_with(prefix) || d.sample_count == 0) continue;
    removed += store.remove_samples(d.id);
    ++gpus;
  }
  if (removed == 0) return;
  Event e;
  e.time_ms = now_ms();
  e.kind = "import";
  e.severity = "info";
  e.message = fmt::format("removed {} samples of {} GPU{} stored by an earlier import of {} (--replace)",
                          removed, gpus, gpus == 1 ? "" : "s", path);
  e.details_json = nlohmann::json{{"file", path}, {"removed_samples", removed}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
  if (!quiet) fmt::print(stderr, "gpuopt: {}\n", e.message);
}

FileImport import_file(Store& store, const std::string& path, int gpus, bool replace, bool quiet) {
  const std::string origin = "import:" + std::filesystem::absolute(path).lexically_normal().string();
  FileImport out;
  std::optional<ProgressBar> bar;
  CsvReadOptions options;
  options.gpus = gpus;
  options.id_prefix = positional_id_prefix(store, path);
  options.on_devices = [&](std::span<const DeviceInfo> devices) {
    // Only once the file has yielded a usable row: a file that cannot be read replaces nothing.
    if (replace && out.device_ids.empty()) remove_earlier_import(store, path, options.id_prefix, quiet);
    out.device_ids = store.register_devices(devices, origin);
  };
  options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!bar) bar.emplace("importing " + std::filesystem::path(path).filename().string(), total, quiet);
    bar->update(done);
  };
  std::size_t rows_stored = 0;
  try {
    out.result = read_nvidia_smi_csv(path, options, [&](std::span<const Sample> batch) {
      if (stop_flag()) throw Error("import interrupted");
      store.append(out.device_ids, batch);
      rows_stored += batch.size();
      for (const Sample& s : batch) {
        out.first_ms = std::min(out.first_ms, s.time_ms);
        out.last_ms = std::max(out.last_ms, s.time_ms);
      }
    });
  } catch (const ParseError& e) {
    // The file cannot be used (from the start, or a line past the size limit further on).
    if (rows_stored == 0) throw;
    throw ParseError(e.file(), e.line(), e.field(),
                     fmt::format("{}; the {} rows stored before it stay", e.reason(), rows_stored));
  } catch (const Error& e) {
    // Interrupted, or the store failed (locked, disk full): say what stays stored.
    const std::string reason = fmt::format(
        "{}: {}; the {} rows stored before it stopped stay (import the file "
        "again to complete it)",
        path, e.what(), rows_stored);
    try {
      add_failure_event(store, path, reason);
    } catch (const Error&) {
      // The store may be what failed.
    }
    throw Error(reason);
  }
  if (bar) bar->finish();
  // Properties such as memory.total may have been filled in after a GPU's first row.
  if (!out.result.devices.empty()) out.device_ids = store.register_devices(out.result.devices, origin);
  return out;
}

std::string time_range(const FileImport& imp) {
  if (imp.result.rows_read == 0) return "no samples";
  return fmt::format("{} .. {}", format_iso8601(imp.first_ms), format_iso8601(imp.last_ms));
}

void add_import_event(Store& store, const std::string& path, const FileImport& imp) {
  const CsvReadResult& r = imp.result;
  nlohmann::json details = {{"file", path},
                            {"rows", r.rows_read},
                            {"rows_skipped", r.rows_skipped},
                            {"issues", r.issue_count},
                            {"devices", r.devices.size()},
                            {"interleaved_gpus", r.interleaved_gpus},
                            {"interleaved_gpus_detected", r.interleaved_gpus_detected},
                            {"truncated_last_line", r.truncated_last_line},
                            {"ignored_columns", r.ignored_columns}};
  details["device_ids"] = imp.device_ids;  // `gpuopt events --gpu` finds multi-GPU imports by these
  if (r.rows_read > 0) {
    details["first_ms"] = imp.first_ms;
    details["last_ms"] = imp.last_ms;
  }
  Event e;
  e.time_ms = now_ms();
  if (imp.device_ids.size() == 1) e.device = imp.device_ids.front();
  e.kind = "import";
  e.severity = r.issue_count > 0 ? "warning" : "info";
  e.message = fmt::format("imported {}: {} rows ({} skipped) from {} GPU{}", path, r.rows_read,
                          r.rows_skipped, r.devices.size(), r.devices.size() == 1 ? "" : "s");
  e.details_json = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

void print_file_report(const std::string& path, const FileImport& imp, std::size_t max_issues, bool quiet) {
  const CsvReadResult& r = imp.result;
  const bool detected_interleave = r.interleaved_gpus_detected && r.interleaved_gpus > 1;
  fmt::print("{}: {} rows kept, {} skipped, {} device{}{}, {}{}\n", path, r.rows_read, r.rows_skipped,
             r.devices.size(), r.devices.size() == 1 ? "" : "s",
             detected_interleave ? " (interleaved, detected from timestamps; --gpus overrides)" : "",
             time_range(imp), r.truncated_last_line ? ", truncated last line" : "");
  std::fflush(stdout);
  if (!quiet && !r.ignored_columns.empty()) {
    std::string columns;
    for (const auto& c : r.ignored_columns) columns += (columns.empty() ? "" : ", ") + c;
    std::fprintf(stderr, "gpuopt: %s: ignored columns: %s\n", path.c_str(), columns.c_str());
  }
  const std::size_t shown = std::min(max_issues, r.issues.size());
  for (std::size_t i = 0; i < shown; ++i) std::fprintf(stderr, "%s\n", r.issues[i].to_string().c_str());
  if (r.issue_count > shown) std::fprintf(stderr, "... and %zu more\n", r.issue_count - shown);
}

void import_files(const ImportArgs& args, const GlobalOptions& global) {
  stop_flag();  // installs the SIGINT/SIGTERM handlers before the long work starts
  Store store = Store::open(resolve_db_path(global));
  std::size_t failed = 0;
  for (const auto& path : args.files) {
    try {
      const FileImport imp = import_file(store, path, args.gpus, args.replace, global.quiet);
      print_file_report(path, imp, args.max_issues, global.quiet);
      if (imp.result.rows_read == 0) {
        throw ParseError(path, 0, "",
                         imp.result.rows_skipped == 0 ? "no data rows"
                                                      : fmt::format("none of its {} data rows could be used",
                                                                    imp.result.rows_skipped));
      }
      add_import_event(store, path, imp);
    } catch (const ParseError& e) {
      // This file cannot be used at all; the others are still imported.
      ++failed;
      std::fprintf(stderr, "gpuopt: error: %s\n", e.what());
      add_failure_event(store, path, e.what());
    }
  }
  if (failed > 0) {
    throw Error(fmt::format("{} of {} file{} could not be imported", failed, args.files.size(),
                            args.files.size() == 1 ? "" : "s"));
  }
}

PrometheusImportOptions prometheus_options(const ImportArgs& args) {
  PrometheusImportOptions options;
  options.url = args.prometheus_url;
  options.query = args.query;
  const EpochMs now = now_ms();
  options.from_ms = time_option("--from", args.from, now);
  options.to_ms = time_option("--to", args.to, now);
  if (options.from_ms >= options.to_ms) {
    throw UsageError(fmt::format("--from {} is not before --to {}", args.from, args.to));
  }
  options.step = parse_duration(args.step);
  if (options.step.count() < 1) throw UsageError(fmt::format("--step {}: must be at least 1ms", args.step));
  options.timeout = parse_duration(args.timeout);
  if (options.timeout.count() < 1)
    throw UsageError(fmt::format("--timeout {}: must be positive", args.timeout));
  return options;
}

void add_prometheus_event(Store& store, const PrometheusImportOptions& options,
                          const PrometheusImportResult& r) {
  nlohmann::json details;
  details["url"] = options.url;
  details["query"] = options.query;
  details["from_ms"] = options.from_ms;
  details["to_ms"] = options.to_ms;
  details["step_ms"] = options.step.count();
  details["series"] = r.series;
  details["series_skipped"] = r.series_skipped;
  details["values_skipped"] = r.values_skipped;
  details["devices"] = r.devices;
  details["samples"] = r.samples;
  Event e;
  e.time_ms = now_ms();
  e.kind = "import";
  e.severity = "info";
  e.message =
      fmt::format("imported {} samples of {} devices from prometheus {}", r.samples, r.devices, options.url);
  e.details_json = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  store.add_event(e);
}

void import_from_prometheus(const ImportArgs& args, const GlobalOptions& global) {
  const PrometheusImportOptions options = prometheus_options(args);
  Store store = Store::open(resolve_db_path(global));
  std::optional<ProgressBar> bar;
  const auto& stop = stop_flag();
  PrometheusImportResult r;
  try {
    r = import_prometheus(store, options, [&](int done, int total) {
      if (!bar) bar.emplace("importing from " + options.url, static_cast<std::uint64_t>(total), global.quiet);
      bar->update(static_cast<std::uint64_t>(done));
      if (stop) throw Error("import interrupted");
    });
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    try {
      add_failure_event(store, options.url, e.what());
    } catch (const Error&) {
      // The store may be what failed.
    }
    throw;
  }
  if (bar) bar->finish();
  add_prometheus_event(store, options, r);
  fmt::print("{}: {} series ({} skipped: unknown metric), {} devices, {} samples{}, {} .. {}\n", options.url,
             r.series, r.series_skipped, r.devices, r.samples,
             r.values_skipped == 0 ? ""
                                   : fmt::format(" ({} values skipped: outside the time range or impossible "
                                                 "for a GPU, such as 250 % or -50 W)",
                                                 r.values_skipped),
             format_iso8601(options.from_ms), format_iso8601(options.to_ms));
}

// Which options were given, to reject the ones that do not belong to the chosen form.
struct GivenOptions {
  CLI::Option* gpus;
  CLI::Option* replace;
  CLI::Option* max_issues;
  std::vector<CLI::Option*> prometheus_only;
};

void run_import(const ImportArgs& args, const GivenOptions& given, const GlobalOptions& global) {
  const bool from_files = !args.files.empty();
  const bool from_prometheus = !args.prometheus_url.empty();
  if (from_files && from_prometheus) {
    throw UsageError("import reads either CSV FILEs or --prometheus URL, not both");
  }
  if (!from_files && !from_prometheus) {
    throw UsageError(
        "nothing to import: name nvidia-smi CSV FILEs or --prometheus URL (see gpuopt import --help)");
  }
  if (from_files) {
    for (const CLI::Option* o : given.prometheus_only) {
      if (o->count() > 0) throw UsageError(fmt::format("{} needs --prometheus URL", o->get_name()));
    }
    import_files(args, global);
    return;
  }
  for (const CLI::Option* o : {given.gpus, given.replace, given.max_issues}) {
    if (o->count() > 0)
      throw UsageError(fmt::format("{} applies to CSV files, not --prometheus", o->get_name()));
  }
  import_from_prometheus(args, global);
}

constexpr const char* kImportFooter = R"(CSV files are nvidia-smi --query-gpu output, e.g. from
  nvidia-smi --query-gpu=timestamp,index,uuid,power.draw,utilization.gpu,memory.used --format=csv -lms 100
Any subset of fields works as long as timestamp is one of them; units in the header or the values
(--format=csv or csv,nounits) are both read. Bad rows are skipped and listed as FILE:LINE: reason;
a file that cannot be used at all fails alone (exit code 1 after the other files are imported).
See docs/import.md for the accepted dialect.

Examples:
  gpuopt import run1.csv run2.csv
  gpuopt import ckpt1.csv                 # no index column: GPU count detected from timestamps
  gpuopt import --gpus 8 ckpt1.csv        # or given: 8 GPUs, rows cycle through them
  gpuopt import --gpus 8 --replace ckpt1.csv   # redo an import that used a wrong --gpus
  gpuopt --db fleet.db import --prometheus http://127.0.0.1:9090 \
      --query '{__name__=~"DCGM_FI_DEV_.*"}' --from -24h --to now --step 15s)";

}  // namespace

void register_import(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import",
                                     "Import nvidia-smi CSV traces (FILE...) or a Prometheus server's "
                                     "history (--prometheus) into the store");
  cmd->fallthrough();  // global options (--db, --quiet) may follow the subcommand
  cmd->footer(kImportFooter);
  cmd->add_option("files", args->files, "nvidia-smi CSV files to import, each on its own")->type_name("FILE");
  GivenOptions given;
  given.gpus = cmd->add_option("--gpus", args->gpus,
                               "CSV: GPUs interleaved round-robin in files without an index or uuid column "
                               "(0 = detect from the timestamps of the first rows)")
                   ->check(CLI::Range(0, 4096))
                   ->type_name("N")
                   ->capture_default_str();
  given.replace =
      cmd->add_flag("--replace", args->replace,
                    "CSV: first delete the samples an earlier import of the same file stored under "
                    "GPUs identified by position (to redo an import with a wrong --gpus)");
  given.max_issues = cmd->add_option("--max-issues", args->max_issues, "CSV: skipped rows listed per file")
                         ->type_name("N")
                         ->capture_default_str();
  cmd->add_option("--prometheus", args->prometheus_url,
                  "Import from this Prometheus server instead, e.g. http://127.0.0.1:9090")
      ->type_name("URL");
  given.prometheus_only = {
      cmd->add_option("--query", args->query, "Prometheus: PromQL selecting DCGM_FI_DEV_* / gpuopt_* series")
          ->capture_default_str(),
      cmd->add_option("--from", args->from, "Prometheus: start (ISO time, epoch seconds, 'now', or '-1h')")
          ->capture_default_str(),
      cmd->add_option("--to", args->to, "Prometheus: end (same forms as --from)")->capture_default_str(),
      cmd->add_option("--step", args->step, "Prometheus: resolution, e.g. 1s, 15s")->capture_default_str(),
      cmd->add_option("--timeout", args->timeout, "Prometheus: per-request timeout")->capture_default_str(),
  };
  cmd->callback([args, given, &global] { run_import(*args, given, global); });
}

}  // namespace gpuopt::cli
