// Store::query (one metric, raw or resampled) and Store::samples (all metrics, raw).
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "rollup.hpp"
#include "sample_columns.hpp"
#include "store_impl.hpp"

namespace gpuopt {
namespace {

// Query bounds are clamped to +-2^62 ms so that widening them to whole buckets cannot overflow.
constexpr EpochMs kTimeLimitMs = EpochMs{1} << 62;

// SELECT expressions giving one bucket's value as column 1, over raw samples of `column`.
std::string raw_aggregate(Aggregation aggregation, std::string_view column) {
  switch (aggregation) {
    case Aggregation::mean:
      return fmt::format("avg({})", column);
    case Aggregation::min:
      return fmt::format("min({})", column);
    case Aggregation::max:
      return fmt::format("max({})", column);
    case Aggregation::last:
      // SQLite takes a bare column's value from the row that holds a lone max().
      return fmt::format("{}, max(time_ms)", column);
  }
  throw std::logic_error("unknown Aggregation");
}

// The same over roll-up rows: a mean merges sums and counts, "last" comes from the latest minute.
std::string rollup_aggregate(Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::mean:
      return "sum(sum) / sum(count)";
    case Aggregation::min:
      return "min(min)";
    case Aggregation::max:
      return "max(max)";
    case Aggregation::last:
      return "last, max(last_ms)";
  }
  throw std::logic_error("unknown Aggregation");
}

std::vector<Point> read_points(store::Statement& st) {
  std::vector<Point> points;
  while (st.step()) points.push_back({st.int64(0), st.real(1)});
  return points;
}

std::vector<Point> raw_points(store::Database& db, DeviceId device, EpochMs from_ms, EpochMs to_ms,
                              std::string_view column) {
  auto st = db.prepare(
      fmt::format("SELECT time_ms, {0} FROM samples WHERE device_id = ?1 AND time_ms >= ?2 AND time_ms < ?3 "
                  "AND {0} IS NOT NULL ORDER BY time_ms",
                  column));
  st.bind(1, device).bind(2, from_ms).bind(3, to_ms);
  return read_points(st);
}

}  // namespace

std::vector<Point> Store::query(const SeriesQuery& q) const {
  const std::int64_t step_ms = q.step.count();
  if (step_ms < 0) throw UsageError(fmt::format("query step must not be negative (got {} ms)", step_ms));
  const EpochMs from_ms = std::clamp(q.from_ms, -kTimeLimitMs, kTimeLimitMs);
  const EpochMs to_ms = std::clamp(q.to_ms, -kTimeLimitMs, kTimeLimitMs);
  if (to_ms <= from_ms) return {};
  const std::string_view column = metric_info(q.metric).column;
  if (step_ms == 0) return raw_points(impl_->db, q.device, from_ms, to_ms, column);

  // Whole buckets: [from, to) widens to step boundaries, so both paths see the same samples.
  // (bucket_ms - from) / step is a floor division because nothing before `from` is read.
  const EpochMs from = store::floor_to(from_ms, step_ms);
  const EpochMs to = store::floor_to(to_ms - 1, step_ms) + step_ms;
  const bool from_rollups = step_ms % store::kRollupBucketMs == 0;
  const std::string sql =
      from_rollups ? fmt::format(
                         "SELECT (bucket_ms - ?2) / ?4 * ?4 + ?2 AS bucket, {} FROM rollup_1m "
                         "WHERE device_id = ?1 AND metric = ?5 AND bucket_ms >= ?2 AND bucket_ms < ?3 "
                         "GROUP BY bucket ORDER BY bucket",
                         rollup_aggregate(q.aggregation))
                   : fmt::format(
                         "SELECT (time_ms - ?2) / ?4 * ?4 + ?2 AS bucket, {} FROM samples "
                         "WHERE device_id = ?1 AND time_ms >= ?2 AND time_ms < ?3 AND {} IS NOT NULL "
                         "GROUP BY bucket ORDER BY bucket",
                         raw_aggregate(q.aggregation, column), column);
  auto st = impl_->db.prepare(sql);
  st.bind(1, q.device).bind(2, from).bind(3, to).bind(4, step_ms);
  if (from_rollups) st.bind(5, column);
  return read_points(st);
}

std::vector<Sample> Store::samples(DeviceId device, EpochMs from_ms, EpochMs to_ms, std::size_t limit) const {
  auto& db = impl_->db;
  int gpu_index = 0;
  {
    auto st = db.prepare("SELECT gpu_index FROM devices WHERE id = ?1");
    st.bind(1, device);
    if (!st.step()) throw UsageError(fmt::format("{}: no device with id {}", path(), device));
    gpu_index = static_cast<int>(st.int64(0));
  }
  auto st = db.prepare(
      fmt::format("SELECT time_ms, {} FROM samples WHERE device_id = ?1 AND time_ms >= ?2 AND time_ms < ?3 "
                  "ORDER BY time_ms LIMIT ?4",
                  store::metric_columns_sql()));
  const auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  st.bind(1, device)
      .bind(2, from_ms)
      .bind(3, to_ms)
      .bind(4, static_cast<std::int64_t>(std::min(limit, max_limit)));
  std::vector<Sample> out;
  while (st.step()) out.push_back({gpu_index, st.int64(0), store::read_metrics(st, 1)});
  return out;
}

}  // namespace gpuopt
