// GET /api/v1/samples: history of one metric of one device, read from the store.
#include <nlohmann/json.hpp>

#include "gpuopt/metric.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/units.hpp"
#include "json_api.hpp"

namespace gpuopt::server {
namespace {

using nlohmann::json;

// Same cap as Prometheus' query_range, so a dashboard cannot ask for an unbounded answer.
constexpr std::int64_t kMaxResampledPoints = 11000;
constexpr std::size_t kMaxRawPoints = 100000;

EpochMs time_param(const HttpRequest& request, const std::string& name, const std::string& fallback,
                   EpochMs now) {
  const std::string text = single_param(request, name).value_or(fallback);
  try {
    return parse_time_arg(text, now);
  } catch (const UsageError& e) {
    throw BadParameter(name, e.what());
  }
}

std::chrono::milliseconds step_param(const HttpRequest& request) {
  const auto text = single_param(request, "step");
  if (!text) return std::chrono::milliseconds(0);
  try {
    return parse_duration(*text);
  } catch (const UsageError& e) {
    throw BadParameter("step", e.what());
  }
}

Aggregation aggregation_param(const HttpRequest& request) {
  const std::string text = single_param(request, "agg").value_or("mean");
  if (text == "mean") return Aggregation::mean;
  if (text == "min") return Aggregation::min;
  if (text == "max") return Aggregation::max;
  if (text == "last") return Aggregation::last;
  throw BadParameter("agg", "'" + text + "' is not one of mean, min, max, last");
}

Metric metric_param(const HttpRequest& request) {
  const auto text = single_param(request, "metric");
  if (!text) throw BadParameter("metric", "required (one of " + std::string(metric_names_list()) + ")");
  const auto metric = metric_from_name(*text);
  if (!metric) {
    throw BadParameter("metric",
                       "unknown metric '" + *text + "' (valid: " + std::string(metric_names_list()) + ")");
  }
  return *metric;
}

StoredDevice device_param(const HttpRequest& request, const Store& store) {
  const auto selector = single_param(request, "gpu");
  if (!selector) {
    const auto devices = store.devices();
    if (devices.size() == 1) return devices.front();
    throw BadParameter("gpu", "required when the store holds more than one device (a #id, UUID or index)");
  }
  try {
    return store.find_device(*selector);
  } catch (const UsageError& e) {
    throw BadParameter("gpu", e.what());
  }
}

json device_summary(const StoredDevice& d) {
  return {{"id", d.id},
          {"uuid", d.info.uuid},
          {"name", d.info.name},
          {"index", d.info.index},
          {"origin", d.origin}};
}

}  // namespace

HttpResponse handle_samples(const HttpRequest& request, const std::string& store_path, EpochMs now) {
  if (store_path.empty()) return error_response(404, "this agent runs without a store (--no-store)");
  reject_unknown_params(request, {"gpu", "metric", "from", "to", "step", "agg"});
  SeriesQuery q;
  q.metric = metric_param(request);
  q.from_ms = time_param(request, "from", "-1h", now);
  q.to_ms = time_param(request, "to", "now", now);
  if (q.from_ms >= q.to_ms) throw BadParameter("from", "must be before 'to'");
  q.step = step_param(request);
  if (q.step.count() > 0 && (q.to_ms - q.from_ms) / q.step.count() > kMaxResampledPoints) {
    throw BadParameter("step", "more than 11000 points per series; use a larger step or a shorter range");
  }
  q.aggregation = aggregation_param(request);

  const Store store = Store::open(store_path, Store::Mode::read_only);
  const StoredDevice device = device_param(request, store);
  q.device = device.id;
  const std::vector<Point> points = store.query(q);
  if (points.size() > kMaxRawPoints) {
    throw BadParameter("step", "more than 100000 raw samples in the range; give a step to resample");
  }
  json values = json::array();
  for (const Point& p : points) values.push_back(json::array({p.time_ms, p.value}));
  const MetricInfo& info = metric_info(q.metric);
  const json body{{"device", device_summary(device)},
                  {"metric", info.column},
                  {"unit", info.unit},
                  {"from_ms", q.from_ms},
                  {"to_ms", q.to_ms},
                  {"step_ms", q.step.count()},
                  {"aggregation", single_param(request, "agg").value_or("mean")},
                  {"points", std::move(values)}};
  return json_response(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace gpuopt::server
