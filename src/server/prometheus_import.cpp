#include "gpuopt/prometheus_import.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "http_client.hpp"
#include "prometheus_response.hpp"

namespace gpuopt {
namespace {

using server::PromSeries;

// Prometheus refuses query_range answers of more than 11000 points per series.
constexpr std::int64_t kMaxPointsPerSeries = 11000;

std::string seconds_text(EpochMs ms) { return fmt::format("{}.{:03}", ms / 1000, ms % 1000); }

std::string series_key(const PromSeries& s) {
  std::string key;
  for (const auto& [name, value] : s.labels) key += fmt::format("{}={}\x1f", name, value);
  return key;
}

// Prometheus' own message from an error answer, else the start of the body.
std::string error_text(const server::HttpGetResult& answer) {
  // Redirects are not followed: the URL to give instead is the useful part.
  if (answer.status >= 300 && answer.status < 400) {
    return answer.location.empty()
               ? "a redirect without a Location"
               : fmt::format("redirected to {} (give --prometheus that URL)", answer.location);
  }
  const auto j = nlohmann::json::parse(answer.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return answer.body.substr(0, 200);
}

// One chunk's samples grouped by device and time, ready for Store::append.
struct ChunkSamples {
  std::vector<DeviceInfo> devices;
  std::map<std::string, int> device_position;  // by uuid
  std::map<std::pair<int, EpochMs>, MetricValues> values;

  int position_of(const DeviceInfo& device) {
    const auto [it, inserted] = device_position.emplace(device.uuid, static_cast<int>(devices.size()));
    if (inserted) devices.push_back(device);
    return it->second;
  }

  std::vector<Sample> samples() const {
    std::vector<Sample> out;
    out.reserve(values.size());
    for (const auto& [key, v] : values) out.push_back(Sample{key.first, key.second, v});
    return out;
  }
};

class Importer {
 public:
  Importer(Store& store, const PrometheusImportOptions& options)
      : store_(store), options_(options), url_(server::parse_http_url(options.url)) {}

  PrometheusImportResult run(const std::function<void(int, int)>& progress) {
    const std::int64_t step_ms = options_.step.count();
    const std::int64_t chunk_ms = step_ms * kMaxPointsPerSeries;
    const int total = static_cast<int>((options_.to_ms - options_.from_ms) / chunk_ms + 1);
    int done = 0;
    try {
      for (EpochMs start = options_.from_ms; start <= options_.to_ms; start += chunk_ms) {
        import_chunk(start, std::min(start + chunk_ms - step_ms, options_.to_ms));
        if (progress) progress(++done, total);
      }
    } catch (const Error& e) {
      if (result_.samples == 0) throw;
      const std::string what =
          fmt::format("{}; the {} samples stored before it stay (import the range again to complete it)",
                      e.what(), result_.samples);
      if (dynamic_cast<const RemoteError*>(&e)) throw RemoteError(what);
      throw Error(what);
    }
    result_.series = static_cast<std::int64_t>(series_seen_.size());
    result_.series_skipped = static_cast<std::int64_t>(series_skipped_.size());
    result_.devices = static_cast<std::int64_t>(devices_seen_.size());
    return result_;
  }

 private:
  void import_chunk(EpochMs start_ms, EpochMs end_ms) {
    const std::string where = fmt::format("{}/api/v1/query_range", url_.text);
    const server::HttpGetResult answer = server::http_get(url_, "/api/v1/query_range",
                                                          {{"query", options_.query},
                                                           {"start", seconds_text(start_ms)},
                                                           {"end", seconds_text(end_ms)},
                                                           {"step", seconds_text(options_.step.count())}},
                                                          options_.timeout);
    if (answer.status != 200) {
      throw RemoteError(fmt::format("{}: HTTP {}: {}", where, answer.status, error_text(answer)));
    }
    ChunkSamples chunk;
    for (const PromSeries& series : server::parse_prometheus_answer(answer.body, where))
      add_series(series, chunk);
    if (chunk.values.empty()) return;
    const std::vector<DeviceId> ids = store_.register_devices(chunk.devices, "prometheus:" + url_.text);
    const std::vector<Sample> samples = chunk.samples();
    store_.append(ids, samples);
    result_.samples += static_cast<std::int64_t>(samples.size());
  }

  void add_series(const PromSeries& series, ChunkSamples& chunk) {
    const std::string key = series_key(series);
    series_seen_.insert(key);
    const auto name = series.labels.find("__name__");
    const auto metric =
        name == series.labels.end() ? std::nullopt : server::metric_from_series_name(name->second);
    if (!metric) {
      series_skipped_.insert(key);
      return;
    }
    if (series.points.empty()) return;
    const DeviceInfo device = server::device_from_labels(series.labels);
    devices_seen_.insert(device.uuid);
    const int position = chunk.position_of(device);
    for (const auto& [time_ms, value] : series.points) {
      // Outside the asked range (a misbehaving server) or impossible for a GPU (a wrong unit,
      // a sentinel): skipped and counted, as the CSV importer skips such rows.
      if (time_ms < options_.from_ms || time_ms > options_.to_ms || !plausible_value(*metric, value)) {
        ++result_.values_skipped;
        continue;
      }
      chunk.values[{position, time_ms}].set(*metric, value);
    }
  }

  Store& store_;
  const PrometheusImportOptions& options_;
  server::HttpUrl url_;
  PrometheusImportResult result_;
  std::set<std::string> series_seen_;
  std::set<std::string> series_skipped_;
  std::set<std::string> devices_seen_;
};

void validate(const PrometheusImportOptions& options) {
  if (options.query.empty()) throw UsageError("Prometheus import: the query is empty");
  if (options.step.count() <= 0) throw UsageError("Prometheus import: the step must be positive");
  if (options.from_ms > options.to_ms) throw UsageError("Prometheus import: 'from' is after 'to'");
}

}  // namespace

PrometheusImportResult import_prometheus(Store& store, const PrometheusImportOptions& options,
                                         const std::function<void(int, int)>& progress) {
  validate(options);
  return Importer(store, options).run(progress);
}

}  // namespace gpuopt
