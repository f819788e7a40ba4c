#include "json_api.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "gpuopt/metric.hpp"

namespace gpuopt::server {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void put_optional(json& j, const char* key, const std::optional<double>& value) {
  j[key] = value ? json(*value) : json(nullptr);
}

json source_json(const SourceInfo& source) {
  return {{"name", source.name},
          {"simulated", source.simulated},
          {"driver_version", source.driver_version},
          {"nvml_version", source.nvml_version},
          {"cuda_driver_version", source.cuda_driver_version}};
}

json sample_json(const Sample& sample, EpochMs now) {
  json j{{"time_ms", sample.time_ms},
         {"time", format_iso8601(sample.time_ms)},
         {"age_ms", now - sample.time_ms}};
  for (const MetricInfo& info : all_metrics()) {
    if (const auto v = sample.values.get(info.metric)) j[std::string(info.column)] = *v;
  }
  return j;
}

json device_json(const DeviceInfo& d) {
  json j{{"index", d.index},
         {"uuid", d.uuid},
         {"name", d.name},
         {"pci_bus_id", d.pci_bus_id},
         {"simulated", d.simulated}};
  put_optional(j, "mem_total_mib", d.mem_total_mib);
  put_optional(j, "power_limit_default_w", d.power_limit_default_w);
  put_optional(j, "power_limit_min_w", d.power_limit_min_w);
  put_optional(j, "power_limit_max_w", d.power_limit_max_w);
  put_optional(j, "sm_clock_max_mhz", d.sm_clock_max_mhz);
  put_optional(j, "mem_clock_max_mhz", d.mem_clock_max_mhz);
  put_optional(j, "graphics_clock_max_mhz", d.graphics_clock_max_mhz);
  return j;
}

std::string_view health_status(const SelfStats& stats, EpochMs now, std::chrono::milliseconds stale_after) {
  if (stats.sampler == SamplerState::failed) return "failed";
  const bool fresh = stats.last_round_ms && now - *stats.last_round_ms <= stale_after.count();
  if (fresh) return "ok";
  if (stats.sampler == SamplerState::finished) return "finished";
  return stats.last_round_ms ? "stale" : "starting";
}

}  // namespace

HttpResponse handle_devices(const LiveSnapshot& snapshot) {
  json devices = json::array();
  for (std::size_t i = 0; i < snapshot.devices.size(); ++i) {
    json j = device_json(snapshot.devices[i]);
    const auto it = snapshot.latest.find(static_cast<int>(i));
    j["latest"] = it == snapshot.latest.end() ? json(nullptr) : sample_json(it->second, snapshot.now_ms);
    devices.push_back(std::move(j));
  }
  const json body{{"hostname", snapshot.hostname},
                  {"source", source_json(snapshot.source)},
                  {"devices", std::move(devices)}};
  return json_response(200, dump(body));
}

HttpResponse handle_healthz(const LiveSnapshot& snapshot, std::chrono::milliseconds stale_after) {
  const SelfStats& stats = snapshot.stats;
  const std::string_view status = health_status(stats, snapshot.now_ms, stale_after);
  json body{{"status", status},
            {"source", snapshot.source.name},
            {"simulated", snapshot.source.simulated},
            {"sampler", to_string(stats.sampler)},
            {"stale_after_ms", stale_after.count()},
            {"last_sample_age_ms", nullptr}};
  if (stats.last_round_ms) body["last_sample_age_ms"] = snapshot.now_ms - *stats.last_round_ms;
  if (status != "ok" && !stats.last_error.empty()) body["error"] = stats.last_error;
  return json_response(status == "ok" ? 200 : 503, dump(body));
}

void register_json_api(Router& router, const LiveState& state, const ApiOptions& options) {
  router.add("GET", "/api/v1/devices", "source, devices and the latest sample of each GPU (JSON)",
             [&state](const HttpRequest& request) {
               reject_unknown_params(request, {});
               return handle_devices(state.snapshot());
             });
  router.add("GET", "/api/v1/samples",
             "stored history: ?gpu=SEL&metric=NAME[&from=-1h][&to=now][&step=1m][&agg=mean] (JSON)",
             [store_path = options.store_path](const HttpRequest& request) {
               return handle_samples(request, store_path, now_ms());
             });
  router.add("GET", "/healthz", "200 while samples keep arriving, else 503 (JSON)",
             [&state, stale_after = options.stale_after](const HttpRequest& request) {
               reject_unknown_params(request, {});
               return handle_healthz(state.snapshot(), stale_after);
             });
}

}  // namespace gpuopt::server
