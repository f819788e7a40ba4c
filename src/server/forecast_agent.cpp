// The forecast module of `gpuopt serve`: forecasts every GPU from the sampled stream, serves
// GET /api/v1/forecast, exports gpuopt_forecast_* gauges and records anomaly events in the store.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "agent_module.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/online.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/store_sink.hpp"
#include "gpuopt/units.hpp"
#include "http_types.hpp"
#include "metrics_exposition.hpp"

namespace gpuopt::server {
namespace {

using nlohmann::json;

class ForecastModule final : public AgentModule, public SampleSink {
 public:
  ForecastModule(const AgentContext& context, std::unique_ptr<forecast::Forecaster> model)
      : context_(context), model_(std::move(model)), devices_(context.source.devices()) {}

  void register_routes(Router& router) override {
    router.add("GET", "/api/v1/forecast",
               "Forecast of each channel at each horizon with its calibrated interval (?gpu=N)",
               [this](const HttpRequest& request) { return handle(request); });
  }

  SampleSink* sink() override { return this; }

  void write_metrics(std::string& out) const override {
    const std::lock_guard lock(mutex_);
    for (const auto& channel : forecast::all_channels()) {
      write_family(out, channel, "", &forecast::ForecastPoint::value,
                   fmt::format("Forecast {} ({}) at the horizon, by the {} forecaster", channel.name,
                               channel.unit, model_->name()));
      const double level_pct = 100 * model_->calibration().level;
      write_family(
          out, channel, "_lower", &forecast::ForecastPoint::lower,
          fmt::format("Lower bound of the {:g} % interval of gpuopt_forecast_{}", level_pct, channel.name));
      write_family(
          out, channel, "_upper", &forecast::ForecastPoint::upper,
          fmt::format("Upper bound of the {:g} % interval of gpuopt_forecast_{}", level_pct, channel.name));
    }
  }

  void on_start(const SourceInfo& source, const std::vector<DeviceInfo>& devices) override {
    online_.emplace(*model_, devices);
    if (context_.options.store_path.empty()) return;
    try {
      store_.emplace(Store::open(context_.options.store_path));
      const auto ids = store_->register_devices(devices, live_origin(source));
      for (std::size_t i = 0; i < devices.size(); ++i) device_ids_[devices[i].index] = ids[i];
    } catch (const Error& e) {
      store_.reset();
      context_.state.record_store_error(e.what());
      spdlog::warn("forecast: anomaly events will not be stored: {}", e.what());
    }
  }

  void on_samples(std::span<const Sample> source_samples) override {
    // The forecaster and this module name GPUs by DeviceInfo::index; samples by position in devices_.
    std::vector<Sample> samples(source_samples.begin(), source_samples.end());
    for (Sample& s : samples) s.gpu = devices_.at(static_cast<std::size_t>(s.gpu)).index;
    std::vector<forecast::OnlineAnomaly> found;
    try {
      found = online_->add(samples);
    } catch (const Error& e) {
      context_.state.record_read_error(fmt::format("forecast: {}", e.what()));
      return;
    }
    {
      const std::lock_guard lock(mutex_);
      for (const Sample& s : samples) {
        if (auto f = online_->latest(s.gpu)) latest_[s.gpu] = std::move(*f);
      }
    }
    for (const auto& a : found) record(a);
  }

 private:
  // One gauge family, gpuopt_forecast_<channel><suffix>{gpu, UUID, horizon}: `field` of the latest
  // forecasts (points without it, NaN, are left out; no family without any). Under mutex_.
  void write_family(std::string& out, const forecast::ChannelInfo& channel, std::string_view suffix,
                    float forecast::ForecastPoint::*field, const std::string& help) const {
    const auto& spec = model_->spec();
    std::string lines;
    for (const auto& [gpu, f] : latest_) {
      for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
        const float v = f.points[forecast::index_of(channel.channel) * spec.horizons.size() + h].*field;
        if (std::isnan(v)) continue;
        lines += fmt::format("gpuopt_forecast_{}{}{{gpu=\"{}\",UUID=\"{}\",horizon=\"{}\"}} {}\n",
                             channel.name, suffix, gpu, escape_label_value(uuid(gpu)),
                             format_duration(spec.horizons[h]), format_sample_value(v));
      }
    }
    if (lines.empty()) return;
    out += fmt::format("# HELP gpuopt_forecast_{}{} {}\n", channel.name, suffix, help);
    out += fmt::format("# TYPE gpuopt_forecast_{}{} gauge\n", channel.name, suffix);
    out += lines;
  }

  void record(const forecast::OnlineAnomaly& a) {
    spdlog::warn("GPU {}: {}: {}", a.gpu, a.anomaly.kind, a.anomaly.message);
    if (!store_) return;
    Event e;
    e.time_ms = a.anomaly.time_ms;
    if (const auto it = device_ids_.find(a.gpu); it != device_ids_.end()) e.device = it->second;
    e.kind = a.anomaly.kind;
    e.severity = a.anomaly.severity;
    e.message = a.anomaly.message;
    e.details_json = a.anomaly.details_json;
    try {
      store_->add_event(e);
    } catch (const StoreError& err) {
      context_.state.record_store_error(err.what());
    }
  }

  // Caller holds mutex_.
  std::string uuid(int gpu) const {
    for (const auto& d : devices_) {
      if (d.index == gpu) return d.uuid;
    }
    return "";
  }

  HttpResponse handle(const HttpRequest& request) const {
    reject_unknown_params(request, {"gpu"});
    const std::optional<std::string> text = single_param(request, "gpu");
    if (!text) throw BadParameter("gpu", "required: the GPU index, e.g. ?gpu=0");
    int gpu = 0;
    try {
      std::size_t used = 0;
      gpu = std::stoi(*text, &used);
      if (used != text->size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw BadParameter("gpu", fmt::format("'{}' is not a GPU index", *text));
    }
    const std::lock_guard lock(mutex_);
    if (uuid(gpu).empty()) throw BadParameter("gpu", fmt::format("no GPU with index {}", gpu));
    const auto it = latest_.find(gpu);
    if (it == latest_.end()) {
      return error_response(
          503, fmt::format("no forecast for GPU {} yet: it needs {} of samples", gpu,
                           format_duration(model_->spec().step * model_->spec().window.fine_steps)));
    }
    return json_response(200, forecast_json(gpu, it->second).dump());
  }

  json forecast_json(int gpu, const forecast::GpuForecast& f) const {
    const auto& spec = model_->spec();
    json channels = json::object();
    for (const auto& channel : forecast::all_channels()) {
      json horizons = json::array();
      for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
        const auto& p = f.points[forecast::index_of(channel.channel) * spec.horizons.size() + h];
        if (std::isnan(p.value)) continue;
        horizons.push_back({{"horizon", format_duration(spec.horizons[h])},
                            {"horizon_s", static_cast<double>(spec.horizons[h].count()) / 1000},
                            {"value", p.value},
                            {"lower", p.lower},
                            {"upper", p.upper}});
      }
      if (!horizons.empty())
        channels[std::string(channel.name)] = {{"unit", channel.unit}, {"horizons", horizons}};
    }
    return {{"gpu", gpu},
            {"uuid", uuid(gpu)},
            {"model", model_->name()},
            {"time", format_iso8601(f.time_ms)},
            {"time_ms", f.time_ms},
            {"interval_level", model_->calibration().level},
            {"channels", channels}};
  }

  const AgentContext& context_;
  std::unique_ptr<forecast::Forecaster> model_;
  std::optional<forecast::OnlineForecaster> online_;  // sampler thread only
  std::optional<Store> store_;                        // sampler thread only
  std::map<int, DeviceId> device_ids_;                // sampler thread only
  mutable std::mutex mutex_;                          // guards the members below
  std::vector<DeviceInfo> devices_;
  std::map<int, forecast::GpuForecast> latest_;
};

}  // namespace

std::unique_ptr<AgentModule> make_forecast_module(const AgentContext& context) {
  const ForecastServeOptions& options = context.options.forecast;
  if (!options.enabled) return nullptr;
  auto model = options.model_file.empty() ? forecast::load_default_forecaster()
                                          : forecast::load_forecaster_file(options.model_file);
  return std::make_unique<ForecastModule>(context, std::move(model));
}

}  // namespace gpuopt::server
