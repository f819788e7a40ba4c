// Prometheus text exposition (format 0.0.4) of a live-state snapshot, compatible with
// dcgm-exporter: its series names (DCGM_FI_DEV_*) and labels (gpu, UUID, device, modelName,
// Hostname), plus gpuopt_* series for metrics DCGM has no name for, device properties and the
// agent's own statistics. docs/serve.md lists every series.
#pragma once

#include <string>
#include <string_view>

#include "live_state.hpp"

namespace gpuopt::server {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Pure function of the snapshot. A metric no GPU has is not emitted at all.
std::string render_metrics(const LiveSnapshot& snapshot);

// A label value escaped for the text format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

// A sample value as Prometheus writes it: shortest round-trip decimal, "NaN", "+Inf", "-Inf".
std::string format_sample_value(double value);

}  // namespace gpuopt::server
