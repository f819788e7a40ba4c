// Decoding of Prometheus HTTP API answers (/api/v1/query_range, /api/v1/query) and the mapping
// of exported series back to gpuopt's metrics and devices.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuopt/metric.hpp"
#include "gpuopt/sample.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt::server {

struct PromSeries {
  std::map<std::string, std::string> labels;       // including __name__
  std::vector<std::pair<EpochMs, double>> points;  // finite values only, in answer order
};

// Parses a "matrix" (query_range) or "vector" (query) answer. NaN and ±Inf values are dropped.
// Throws RemoteError "<where>: ..." for an "error" answer (with Prometheus' errorType and
// message), JSON that is not a Prometheus answer, or an unexpected result type.
std::vector<PromSeries> parse_prometheus_answer(std::string_view body, const std::string& where);

// The Metric a series name stands for: a MetricInfo::dcgm_name, or "gpuopt_" + column.
std::optional<Metric> metric_from_series_name(std::string_view name);

// The device a series belongs to: uuid from the UUID label, else "<instance>:gpu<gpu>"; name
// from modelName; index from gpu (0 when absent or not a number).
DeviceInfo device_from_labels(const std::map<std::string, std::string>& labels);

}  // namespace gpuopt::server
