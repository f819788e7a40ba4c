// How MetricValues map onto the samples table's metric columns (one REAL column per Metric,
// in metric.hpp order, named by MetricInfo::column; NULL = absent).
#pragma once

#include <string>

#include "gpuopt/metric.hpp"
#include "sqlite_db.hpp"

namespace gpuopt::store {

// "gpu_util_pct, mem_util_pct, ..., throttle_reasons"
const std::string& metric_columns_sql();

// Reads the metrics from columns first_column .. first_column + kMetricCount - 1.
MetricValues read_metrics(const Statement& st, int first_column);

}  // namespace gpuopt::store
