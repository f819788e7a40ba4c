#include "prometheus_response.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"

namespace gpuopt::server {
namespace {

using nlohmann::json;

constexpr double kMaxTimestampS = 7'258'118'400;  // 2200-01-01T00:00:00Z

std::string label_or(const std::map<std::string, std::string>& labels, const std::string& key,
                     const std::string& fallback) {
  const auto it = labels.find(key);
  return it == labels.end() || it->second.empty() ? fallback : it->second;
}

// Prometheus writes sample values as strings: "42", "1.5e+09", "NaN", "+Inf", "-Inf".
std::optional<double> finite_value(const json& v, const std::string& where) {
  if (!v.is_string()) throw RemoteError(fmt::format("{}: sample value is not a string", where));
  const std::string& text = v.get_ref<const std::string&>();
  double value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [used, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || used != end) {
    throw RemoteError(fmt::format("{}: sample value '{}' is not a number", where, text));
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// Unix seconds, as Prometheus writes them (1700000000.123); past year 2200 is not a timestamp
// (1e300 used to overflow into a negative year).
EpochMs timestamp_ms(const json& t, const std::string& where) {
  if (!t.is_number()) throw RemoteError(fmt::format("{}: sample timestamp is not a number", where));
  const double seconds = t.get<double>();
  if (!(seconds >= 0 && seconds <= kMaxTimestampS)) {
    throw RemoteError(
        fmt::format("{}: sample timestamp {} is not a time between 1970 and 2200", where, t.dump()));
  }
  return std::llround(seconds * 1000.0);
}

void add_point(PromSeries& series, const json& pair, const std::string& where) {
  if (!pair.is_array() || pair.size() != 2) {
    throw RemoteError(fmt::format("{}: a sample is not a [time, value] pair", where));
  }
  if (const auto v = finite_value(pair[1], where))
    series.points.emplace_back(timestamp_ms(pair[0], where), *v);
}

PromSeries parse_series(const json& item, const std::string& where) {
  if (!item.is_object() || !item.contains("metric") || !item["metric"].is_object()) {
    throw RemoteError(fmt::format("{}: a result has no 'metric' object", where));
  }
  PromSeries series;
  for (const auto& [key, value] : item["metric"].items()) {
    if (value.is_string()) series.labels[key] = value.get<std::string>();
  }
  if (item.contains("values") && item["values"].is_array()) {
    for (const json& pair : item["values"]) add_point(series, pair, where);
  } else if (item.contains("value")) {
    add_point(series, item["value"], where);
  } else {
    throw RemoteError(fmt::format("{}: a result has neither 'values' nor 'value'", where));
  }
  return series;
}

[[noreturn]] void throw_error_answer(const json& answer, const std::string& where) {
  const std::string type = answer.contains("errorType") && answer["errorType"].is_string()
                               ? answer["errorType"].get<std::string>()
                               : "error";
  const std::string message = answer.contains("error") && answer["error"].is_string()
                                  ? answer["error"].get<std::string>()
                                  : "(no message)";
  throw RemoteError(fmt::format("{}: Prometheus {}: {}", where, type, message));
}

}  // namespace

std::vector<PromSeries> parse_prometheus_answer(std::string_view body, const std::string& where) {
  const json answer = json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("status")) {
    throw RemoteError(fmt::format("{}: not a Prometheus API answer (invalid JSON or no 'status')", where));
  }
  if (answer["status"] != "success") throw_error_answer(answer, where);
  const json& data = answer.contains("data") ? answer["data"] : json();
  if (!data.is_object() || !data.contains("result") || !data["result"].is_array()) {
    throw RemoteError(fmt::format("{}: answer has no data.result array", where));
  }
  const std::string type = data.value("resultType", "");
  if (type != "matrix" && type != "vector") {
    throw RemoteError(fmt::format("{}: unexpected resultType '{}' (expected matrix or vector)", where, type));
  }
  std::vector<PromSeries> out;
  out.reserve(data["result"].size());
  for (const json& item : data["result"]) out.push_back(parse_series(item, where));
  return out;
}

std::optional<Metric> metric_from_series_name(std::string_view name) {
  for (const MetricInfo& info : all_metrics()) {
    if (!info.dcgm_name.empty() && name == info.dcgm_name) return info.metric;
    if (name.starts_with("gpuopt_") && name.substr(7) == info.column) return info.metric;
  }
  return std::nullopt;
}

DeviceInfo device_from_labels(const std::map<std::string, std::string>& labels) {
  DeviceInfo device;
  const std::string gpu = label_or(labels, "gpu", "0");
  int index = 0;
  const auto [end, ec] = std::from_chars(gpu.data(), gpu.data() + gpu.size(), index);
  device.index = ec == std::errc() && end == gpu.data() + gpu.size() ? index : 0;
  device.uuid =
      label_or(labels, "UUID", fmt::format("{}:gpu{}", label_or(labels, "instance", "unknown"), gpu));
  device.name = label_or(labels, "modelName", "");
  return device;
}

}  // namespace gpuopt::server
