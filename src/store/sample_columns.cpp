#include "sample_columns.hpp"

namespace gpuopt::store {

const std::string& metric_columns_sql() {
  static const std::string sql = [] {
    std::string out;
    for (const MetricInfo& info : all_metrics()) {
      if (!out.empty()) out += ", ";
      out += info.column;
    }
    return out;
  }();
  return sql;
}

MetricValues read_metrics(const Statement& st, int first_column) {
  MetricValues values;
  int column = first_column;
  for (const MetricInfo& info : all_metrics()) {
    if (!st.is_null(column)) values.set(info.metric, st.real(column));
    ++column;
  }
  return values;
}

}  // namespace gpuopt::store
