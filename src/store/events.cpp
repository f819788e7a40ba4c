// Store's event log: imports, collection starts, anomalies, control actions.
#include <vector>

#include "gpuopt/store.hpp"
#include "gpuopt/utf8.hpp"
#include "store_impl.hpp"

namespace gpuopt {

std::int64_t Store::add_event(const Event& e) {
  auto st = impl_->db.prepare(
      "INSERT INTO events (time_ms, device_id, kind, severity, message, details_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
  // Only valid UTF-8 is stored (utf8.hpp): messages quote file names and file contents.
  st.bind(1, e.time_ms)
      .bind(3, valid_utf8(e.kind))
      .bind(4, e.severity)
      .bind(5, valid_utf8(e.message))
      .bind(6, valid_utf8(e.details_json));
  if (e.device) st.bind(2, *e.device);
  st.step();
  return st.int64(0);
}

std::vector<Event> Store::events(EpochMs from_ms, EpochMs to_ms, std::optional<DeviceId> device,
                                 const std::string& kind_prefix) const {
  // substr() rather than LIKE: a prefix is literal text, and kinds are case-sensitive.
  auto st = impl_->db.prepare(
      "SELECT id, time_ms, device_id, kind, severity, message, details_json FROM events "
      "WHERE time_ms >= ?1 AND time_ms < ?2 AND (?3 IS NULL OR device_id = ?3) "
      "AND substr(kind, 1, length(?4)) = ?4 ORDER BY time_ms, id");
  st.bind(1, from_ms).bind(2, to_ms).bind(4, kind_prefix);
  if (device) st.bind(3, *device);
  std::vector<Event> out;
  while (st.step()) {
    out.push_back(
        {st.int64(0), st.int64(1), st.optional_int64(2), st.text(3), st.text(4), st.text(5), st.text(6)});
  }
  return out;
}

}  // namespace gpuopt
