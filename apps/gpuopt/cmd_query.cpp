// `gpuopt query`: a stored series of one GPU (raw or resampled), or the stored devices.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuopt/csv_field.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

enum class Format { table, csv, json };

// The --agg and --format spellings (CLI11 checks them; run_query maps them onto the enums).
const std::map<std::string, Aggregation> kAggregations{{"mean", Aggregation::mean},
                                                       {"min", Aggregation::min},
                                                       {"max", Aggregation::max},
                                                       {"last", Aggregation::last}};
const std::map<std::string, Format> kFormats{
    {"table", Format::table}, {"csv", Format::csv}, {"json", Format::json}};

struct QueryOptions {
  std::string gpu;
  std::string metric;
  std::string from;
  std::string to;
  std::string resample;
  std::string aggregation = "mean";
  std::string format = "table";
  std::size_t limit = 0;
  bool list_devices = false;
};

// Table cells: rounded to 3 decimals, without trailing zeros.
std::string table_number(double v) {
  std::string out = fmt::format("{:.3f}", v);
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

// CSV cells: the shortest text that reads back as the same double.
std::string exact_number(double v) { return fmt::format("{}", v); }

// Prints aligned columns: those flagged in `numeric` right-aligned, the others left-aligned.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& numeric) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line +=
          numeric[c] ? fmt::format("{:>{}}", row[c], widths[c]) : fmt::format("{:<{}}", row[c], widths[c]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::puts(line.c_str());
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

nlohmann::ordered_json device_json(const StoredDevice& d) {
  const auto time_or_null = [](const std::optional<EpochMs>& t) {
    return t ? nlohmann::ordered_json(format_iso8601(*t)) : nlohmann::ordered_json();
  };
  return {{"id", d.id},
          {"uuid", d.info.uuid},
          {"index", d.info.index},
          {"name", d.info.name},
          {"pci_bus_id", d.info.pci_bus_id},
          {"origin", d.origin},
          {"simulated", d.info.simulated},
          {"sample_count", d.sample_count},
          {"first", time_or_null(d.first_ms)},
          {"last", time_or_null(d.last_ms)}};
}

std::string time_or_dash(const std::optional<EpochMs>& t) { return t ? format_iso8601(*t) : "-"; }

void print_devices(const Store& store, Format format) {
  const auto devices = store.devices();
  if (format == Format::json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& d : devices) out.push_back(device_json(d));
    std::puts(out.dump(2).c_str());
    return;
  }
  if (format == Format::csv) {
    std::puts("id,index,uuid,name,origin,simulated,samples,first,last");
    for (const auto& d : devices) {
      fmt::print("{},{},{},{},{},{},{},{},{}\n", d.id, d.info.index, csv_field(d.info.uuid),
                 csv_field(d.info.name), csv_field(d.origin), d.info.simulated, d.sample_count,
                 d.first_ms ? format_iso8601(*d.first_ms) : "", d.last_ms ? format_iso8601(*d.last_ms) : "");
    }
    return;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(devices.size());
  for (const auto& d : devices) {
    rows.push_back({fmt::format("#{}", d.id), std::to_string(d.info.index), d.info.uuid,
                    d.info.name + (d.info.simulated ? " (simulated)" : ""), d.origin,
                    std::to_string(d.sample_count), time_or_dash(d.first_ms), time_or_dash(d.last_ms)});
  }
  print_table({"id", "index", "uuid", "name", "origin", "samples", "first", "last"}, rows,
              {false, true, false, false, false, true, false, false});
}

// Streams a JSON document one point per line, so a long series needs no document in memory.
void print_json_points(const nlohmann::ordered_json& head, std::size_t count,
                       const std::function<nlohmann::ordered_json(std::size_t)>& point) {
  std::string text = head.dump();
  text.pop_back();
  fmt::print("{},\"points\":[", text);
  for (std::size_t i = 0; i < count; ++i) fmt::print("{}\n{}", i == 0 ? "" : ",", point(i).dump());
  std::puts("]}");
}

struct SeriesHeader {
  const StoredDevice& device;
  const MetricInfo& metric;
  std::chrono::milliseconds step;
  const std::string& aggregation;  // its --agg name
};

void print_series(const SeriesHeader& h, const std::vector<Point>& points, Format format) {
  const std::string column(h.metric.column);
  if (format == Format::csv) {
    fmt::print("time,{}\n", column);
    for (const Point& p : points) fmt::print("{},{}\n", format_iso8601(p.time_ms), exact_number(p.value));
    return;
  }
  if (format == Format::json) {
    nlohmann::ordered_json head{
        {"device", device_json(h.device)}, {"metric", column}, {"unit", h.metric.unit}};
    head["resample"] =
        h.step.count() > 0 ? nlohmann::ordered_json(format_duration(h.step)) : nlohmann::ordered_json();
    head["aggregation"] =
        h.step.count() > 0 ? nlohmann::ordered_json(h.aggregation) : nlohmann::ordered_json();
    print_json_points(head, points.size(), [&](std::size_t i) {
      return nlohmann::ordered_json{{"t", format_iso8601(points[i].time_ms)}, {"value", points[i].value}};
    });
    return;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(points.size());
  for (const Point& p : points) rows.push_back({format_iso8601(p.time_ms), table_number(p.value)});
  const std::string unit = h.metric.unit.empty() ? "" : fmt::format(" ({})", h.metric.unit);
  print_table({"time", column + unit}, rows, {false, true});
}

void print_samples_json(const StoredDevice& device, const std::vector<Sample>& samples) {
  nlohmann::ordered_json head{{"device", device_json(device)}, {"metric", "all"}};
  for (const auto& m : all_metrics()) head["units"][std::string(m.column)] = m.unit;
  print_json_points(head, samples.size(), [&](std::size_t i) {
    nlohmann::ordered_json point{{"t", format_iso8601(samples[i].time_ms)}};
    for (const auto& m : all_metrics()) {
      if (const auto v = samples[i].values.get(m.metric)) point[std::string(m.column)] = *v;
    }
    return point;
  });
}

// CSV keeps every column (a stable layout); the table only those with a value somewhere.
void print_samples_text(const std::vector<Sample>& samples, Format format) {
  const bool csv = format == Format::csv;
  std::vector<const MetricInfo*> shown;
  for (const auto& m : all_metrics()) {
    if (csv || std::any_of(samples.begin(), samples.end(),
                           [&](const Sample& s) { return s.values.has(m.metric); })) {
      shown.push_back(&m);
    }
  }
  std::vector<std::string> header{"time"};
  for (const auto* m : shown) header.emplace_back(m->column);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(samples.size());
  for (const Sample& s : samples) {
    std::vector<std::string> row{format_iso8601(s.time_ms)};
    for (const auto* m : shown) {
      const auto v = s.values.get(m->metric);
      row.push_back(v ? (csv ? exact_number(*v) : table_number(*v)) : (csv ? "" : "-"));
    }
    rows.push_back(std::move(row));
  }
  if (!csv) {
    std::vector<bool> numeric(header.size(), true);
    numeric[0] = false;
    print_table(header, rows, numeric);
    return;
  }
  fmt::print("{}\n", fmt::join(header, ","));
  for (const auto& row : rows) fmt::print("{}\n", fmt::join(row, ","));
}

// [from, to): the options, else the device's stored range (the last hour if it has none).
std::pair<EpochMs, EpochMs> time_range(const QueryOptions& opt, const StoredDevice& device) {
  const EpochMs now = now_ms();
  const EpochMs default_from = device.first_ms.value_or(now - 3'600'000);
  const EpochMs default_to = device.last_ms ? *device.last_ms + 1 : now;
  const EpochMs from = opt.from.empty() ? default_from : time_option("--from", opt.from, now);
  const EpochMs to = opt.to.empty() ? default_to : time_option("--to", opt.to, now);
  if (to <= from) {
    throw UsageError(
        fmt::format("--from {} is not before --to {}", format_iso8601(from), format_iso8601(to)));
  }
  return {from, to};
}

// The --metric value: nullopt for "all"; UsageError for an unknown name.
std::optional<Metric> parse_metric(const std::string& name) {
  if (name == "all") return std::nullopt;
  if (const auto metric = metric_from_name(name)) return metric;
  throw UsageError(fmt::format("unknown --metric '{}'; use one of: {}, all", name, metric_names_list()));
}

void print_all_metrics(const Store& store, const StoredDevice& device, EpochMs from, EpochMs to,
                       std::size_t limit, Format format) {
  const auto samples = store.samples(device.id, from, to, limit);
  if (format == Format::json) {
    print_samples_json(device, samples);
  } else {
    print_samples_text(samples, format);
  }
}

void run_query(const QueryOptions& opt, const GlobalOptions& global) {
  const Format format = kFormats.at(opt.format);
  if (opt.list_devices) {
    print_devices(Store::open(resolve_db_path(global), Store::Mode::read_only), format);
    return;
  }
  const Aggregation aggregation = kAggregations.at(opt.aggregation);
  if (opt.gpu.empty() || opt.metric.empty()) {
    throw UsageError("query needs --gpu and --metric (or --list-devices to see what is stored)");
  }
  const std::optional<Metric> metric = parse_metric(opt.metric);
  const std::chrono::milliseconds step{opt.resample.empty() ? 0 : parse_duration(opt.resample).count()};
  if (!opt.resample.empty() && step.count() <= 0)
    throw UsageError(fmt::format("--resample '{}': must be a positive duration, e.g. 1m", opt.resample));
  if (!metric && step.count() > 0) throw UsageError("--resample needs a single --metric, not 'all'");
  const auto store = Store::open(resolve_db_path(global), Store::Mode::read_only);
  const StoredDevice device = store.find_device(opt.gpu);
  const auto [from, to] = time_range(opt, device);
  const std::size_t limit = opt.limit == 0 ? std::numeric_limits<std::size_t>::max() : opt.limit;
  if (!global.quiet) {
    std::fprintf(stderr, "gpuopt: #%lld %s (%s), %s .. %s\n", static_cast<long long>(device.id),
                 device.info.uuid.c_str(), device.origin.c_str(), format_iso8601(from).c_str(),
                 format_iso8601(to).c_str());
  }
  if (!metric) {
    print_all_metrics(store, device, from, to, limit, format);
    return;
  }
  std::vector<Point> points = store.query({device.id, *metric, from, to, step, aggregation});
  if (points.size() > limit) points.resize(limit);
  if (points.empty() && !global.quiet) std::fputs("gpuopt: no values in this range\n", stderr);
  print_series({device, metric_info(*metric), step, opt.aggregation}, points, format);
}

}  // namespace

void register_query(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Print a stored series of one GPU (raw or resampled), or list the stored devices");
  cmd->fallthrough();  // global options (--db, --quiet) may follow the subcommand
  cmd->footer(
      "\nThe store is opened read-only, so queries are safe while an agent writes to it.\n\n"
      "Examples:\n"
      "  gpuopt query --list-devices\n"
      "  gpuopt query --gpu 0 --metric power --from -1h --resample 1m\n"
      "  gpuopt query --gpu GPU-b8da --metric all --format csv > gpu.csv\n");
  cmd->add_option("--gpu", opt->gpu,
                  "Device: store id (#3), UUID or unique UUID prefix, or GPU index if unique");
  cmd->add_option("--metric", opt->metric,
                  fmt::format("Metric name ({}), its column name, or 'all' for raw rows of every metric",
                              metric_names_list()));
  cmd->add_option(
      "--from", opt->from,
      "Start (inclusive): ISO time, epoch s/ms, 'now' or '-1h'; default: the device's first sample");
  cmd->add_option("--to", opt->to,
                  "End (exclusive), same forms; default: just after the device's last sample");
  auto* resample = cmd->add_option(
      "--resample", opt->resample,
      "One point per step-aligned bucket (e.g. 10s, 1m, 1h); whole minutes read the 1-minute roll-ups");
  cmd->add_option("--agg", opt->aggregation, "Aggregation per resampled bucket")
      ->check(CLI::IsMember(kAggregations))
      ->capture_default_str()
      ->needs(resample);
  cmd->add_option("--format", opt->format, "Output format")
      ->check(CLI::IsMember(kFormats))
      ->capture_default_str();
  cmd->add_option("--limit", opt->limit, "Print at most N points, the oldest first (0 = all)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000'000'000}))
      ->capture_default_str();
  cmd->add_flag("--list-devices", opt->list_devices,
                "List the stored devices with their sample counts and time ranges");
  cmd->callback([opt, &global] { run_query(*opt, global); });
}

}  // namespace gpuopt::cli
