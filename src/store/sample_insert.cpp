#include "sample_insert.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gpuopt::store {
namespace {

// Rows per statement: with one row per statement, stepping and resetting it cost about as much
// as the inserts. 64 rows of at most 17 parameters stay far below SQLite's parameter limit
// (32766 by default since 3.32).
constexpr std::size_t kMaxRowsPerInsert = 64;

std::vector<Metric> metrics_in(std::uint32_t valid_mask) {
  std::vector<Metric> metrics;
  for (const MetricInfo& info : all_metrics()) {
    if ((valid_mask >> static_cast<unsigned>(info.metric)) & 1U) metrics.push_back(info.metric);
  }
  return metrics;
}

// "INSERT INTO samples (device_id, time_ms, <metrics>) VALUES (?, ?, ...), ... ON CONFLICT ... DO
// UPDATE": a row already stored at that time keeps the metrics the new one lacks (a second import of
// other metrics adds columns; it used to replace the whole row and blank the first import's).
std::string insert_sql(std::span<const Metric> metrics, std::size_t rows) {
  std::string sql = "INSERT INTO samples (device_id, time_ms";
  std::string row = "(?, ?";
  std::string update;
  for (const Metric m : metrics) {
    const std::string column(metric_info(m).column);
    sql += ", " + column;
    row += ", ?";
    update += (update.empty() ? "" : ", ") + column + " = coalesce(excluded." + column + ", " + column + ")";
  }
  row += ")";
  sql += ") VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    if (i > 0) sql += ", ";
    sql += row;
  }
  sql += " ON CONFLICT (device_id, time_ms) DO ";
  sql += update.empty() ? "NOTHING" : "UPDATE SET " + update;
  return sql;
}

void bind_rows(Statement& st, DeviceId device, std::span<const Metric> metrics,
               std::span<const Sample> rows) {
  int index = 1;
  for (const Sample& s : rows) {
    st.bind(index++, device);
    st.bind(index++, s.time_ms);
    for (const Metric m : metrics) st.bind(index++, s.values.get(m));
  }
}

}  // namespace

void insert_samples(Database& db, DeviceId device, std::span<const Sample> samples) {
  std::uint32_t valid_mask = 0;
  for (const Sample& s : samples) valid_mask |= s.values.valid_mask();
  const std::vector<Metric> metrics = metrics_in(valid_mask);
  // Full statements first, then the rest in halving sizes, so that a column set needs at most
  // 7 cached statements.
  for (std::size_t rows = kMaxRowsPerInsert; rows > 0 && !samples.empty(); rows /= 2) {
    if (samples.size() < rows) continue;
    auto st = db.prepare(insert_sql(metrics, rows));
    for (; samples.size() >= rows; samples = samples.subspan(rows)) {
      bind_rows(st, device, metrics, samples.first(rows));
      st.run();
      st.reset();
    }
  }
}

}  // namespace gpuopt::store
