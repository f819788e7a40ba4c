#include "metrics_exposition.hpp"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/metric.hpp"
#include "gpuopt/version.hpp"

namespace gpuopt::server {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

std::string escape_help(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{}=\"{}\"", name, escape_label_value(value));
  }
  out += '}';
  return out;
}

// Writes one family at a time: its # HELP and # TYPE lines, then its samples.
class ExpositionWriter {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
  }
  void sample(const Labels& labels, double value) {
    out_ += fmt::format("{}{} {}\n", name_, format_labels(labels), format_sample_value(value));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

// dcgm-exporter's per-GPU labels, in its order.
Labels gpu_labels(const DeviceInfo& device, const std::string& hostname) {
  return {{"gpu", std::to_string(device.index)},
          {"UUID", device.uuid},
          {"device", fmt::format("nvidia{}", device.index)},
          {"modelName", device.name},
          {"Hostname", hostname}};
}

std::string exported_name(const MetricInfo& info) {
  if (!info.dcgm_name.empty()) return std::string(info.dcgm_name);
  return fmt::format("gpuopt_{}", info.column);
}

void write_sample_metrics(const LiveSnapshot& snap, ExpositionWriter& w) {
  for (const MetricInfo& info : all_metrics()) {
    bool announced = false;
    for (std::size_t i = 0; i < snap.devices.size(); ++i) {
      const DeviceInfo& device = snap.devices[i];
      const auto it = snap.latest.find(static_cast<int>(i));
      if (it == snap.latest.end()) continue;
      const std::optional<double> value = it->second.values.get(info.metric);
      if (!value) continue;
      if (!announced) {
        const bool counter = info.metric == Metric::energy_mj;
        w.family(exported_name(info), counter ? "counter" : "gauge", info.help);
        announced = true;
      }
      w.sample(gpu_labels(device, snap.hostname), *value);
    }
  }
}

struct DeviceProperty {
  std::string_view name;
  std::string_view help;
  std::optional<double> DeviceInfo::*field;
};

constexpr DeviceProperty kDeviceProperties[] = {
    {"gpuopt_power_limit_default_watts", "Default power limit (in W).", &DeviceInfo::power_limit_default_w},
    {"gpuopt_power_limit_min_watts", "Lowest settable power limit (in W).", &DeviceInfo::power_limit_min_w},
    {"gpuopt_power_limit_max_watts", "Highest settable power limit (in W).", &DeviceInfo::power_limit_max_w},
    {"gpuopt_sm_clock_max_mhz", "Maximum SM clock (in MHz).", &DeviceInfo::sm_clock_max_mhz},
    {"gpuopt_mem_clock_max_mhz", "Maximum memory clock (in MHz).", &DeviceInfo::mem_clock_max_mhz},
    {"gpuopt_graphics_clock_max_mhz", "Maximum graphics clock (in MHz).",
     &DeviceInfo::graphics_clock_max_mhz},
};

void write_device_metrics(const LiveSnapshot& snap, ExpositionWriter& w) {
  if (snap.devices.empty()) return;
  w.family("gpuopt_device_info", "gauge", "Static device information; the value is always 1.");
  for (const DeviceInfo& device : snap.devices) {
    Labels labels = gpu_labels(device, snap.hostname);
    labels.emplace_back("pci_bus_id", device.pci_bus_id);
    labels.emplace_back("simulated", device.simulated ? "true" : "false");
    w.sample(labels, 1);
  }
  for (const DeviceProperty& prop : kDeviceProperties) {
    bool announced = false;
    for (const DeviceInfo& device : snap.devices) {
      const std::optional<double>& value = device.*prop.field;
      if (!value) continue;
      if (!announced) {
        w.family(prop.name, "gauge", prop.help);
        announced = true;
      }
      w.sample(gpu_labels(device, snap.hostname), *value);
    }
  }
}

void write_counter(ExpositionWriter& w, std::string_view name, std::string_view help, double value) {
  w.family(name, "counter", help);
  w.sample({}, value);
}

void write_gauge(ExpositionWriter& w, std::string_view name, std::string_view help, double value) {
  w.family(name, "gauge", help);
  w.sample({}, value);
}

void write_self_metrics(const LiveSnapshot& snap, ExpositionWriter& w) {
  const SelfStats& s = snap.stats;
  w.family("gpuopt_build_info", "gauge", "gpuopt version; the value is always 1.");
  w.sample({{"version", std::string(version())}}, 1);
  w.family("gpuopt_source_info", "gauge", "Telemetry source of this agent; the value is always 1.");
  w.sample({{"source", snap.source.name},
            {"simulated", snap.source.simulated ? "true" : "false"},
            {"driver_version", snap.source.driver_version},
            {"nvml_version", snap.source.nvml_version},
            {"cuda_driver_version", snap.source.cuda_driver_version}},
           1);
  write_gauge(w, "gpuopt_sampler_up", "1 while the sampler is delivering samples, else 0.",
              s.sampler == SamplerState::running ? 1 : 0);
  write_counter(w, "gpuopt_sampling_rounds_total", "Sampling rounds completed.",
                static_cast<double>(s.rounds_total));
  write_counter(w, "gpuopt_samples_total", "GPU samples taken.", static_cast<double>(s.samples_total));
  write_counter(w, "gpuopt_read_errors_total", "Per-GPU read errors.",
                static_cast<double>(s.read_errors_total));
  write_counter(w, "gpuopt_store_write_errors_total", "Failed writes to the sample store.",
                static_cast<double>(s.store_errors_total));
  if (s.last_read_s) {
    write_gauge(w, "gpuopt_last_read_seconds", "Wall time of the last read of the source (in s).",
                *s.last_read_s);
  }
  if (s.last_round_ms) {
    write_gauge(w, "gpuopt_last_sample_timestamp_seconds", "Unix time of the last sampling round (in s).",
                static_cast<double>(*s.last_round_ms) / 1000.0);
  }
  write_gauge(w, "gpuopt_uptime_seconds", "Seconds since the agent started.",
              static_cast<double>(snap.now_ms - s.started_ms) / 1000.0);
  if (!s.http_requests.empty()) {
    w.family("gpuopt_http_requests_total", "counter", "HTTP requests received, by route.");
    for (const auto& [path, count] : s.http_requests) w.sample({{"path", path}}, static_cast<double>(count));
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string render_metrics(const LiveSnapshot& snapshot) {
  ExpositionWriter w;
  write_sample_metrics(snapshot, w);
  write_device_metrics(snapshot, w);
  write_self_metrics(snapshot, w);
  return w.take();
}

}  // namespace gpuopt::server
