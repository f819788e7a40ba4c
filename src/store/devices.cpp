// Store's device table: registration by UUID, listing, and --gpu selection.
#include <string>
#include <vector>

#include "device_selector.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/utf8.hpp"
#include "sqlite_db.hpp"
#include "store_impl.hpp"

namespace gpuopt {
namespace {

constexpr const char* kDeviceColumns =
    "id, uuid, origin, name, gpu_index, pci_bus_id, mem_total_mib, power_limit_default_w, power_limit_min_w, "
    "power_limit_max_w, sm_clock_max_mhz, mem_clock_max_mhz, graphics_clock_max_mhz, simulated";

StoredDevice read_device(const store::Statement& st) {
  StoredDevice d;
  d.id = st.int64(0);
  d.info.uuid = st.text(1);
  d.origin = st.text(2);
  d.info.name = st.text(3);
  d.info.index = static_cast<int>(st.int64(4));
  d.info.pci_bus_id = st.text(5);
  d.info.mem_total_mib = st.optional_real(6);
  d.info.power_limit_default_w = st.optional_real(7);
  d.info.power_limit_min_w = st.optional_real(8);
  d.info.power_limit_max_w = st.optional_real(9);
  d.info.sm_clock_max_mhz = st.optional_real(10);
  d.info.mem_clock_max_mhz = st.optional_real(11);
  d.info.graphics_clock_max_mhz = st.optional_real(12);
  d.info.simulated = st.int64(13) != 0;
  return d;
}

std::vector<StoredDevice> load_devices(store::Database& db) {
  std::vector<StoredDevice> out;
  auto st = db.prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices ORDER BY id");
  while (st.step()) out.push_back(read_device(st));
  return out;
}

// One min() or max() per subquery, so each is a single seek in the (device_id, time_ms) key;
// the count is kept in devices.sample_count because count(*) would scan every sample.
void load_sample_range(store::Database& db, StoredDevice& d) {
  auto st = db.prepare(
      "SELECT (SELECT min(time_ms) FROM samples WHERE device_id = ?1), "
      "(SELECT max(time_ms) FROM samples WHERE device_id = ?1), sample_count FROM devices WHERE id = ?1");
  st.bind(1, d.id);
  if (!st.step()) return;
  d.first_ms = st.optional_int64(0);
  d.last_ms = st.optional_int64(1);
  d.sample_count = st.int64(2);
}

}  // namespace

std::vector<DeviceId> Store::register_devices(std::span<const DeviceInfo> devices,
                                              const std::string& origin) {
  auto& db = impl_->db;
  std::vector<DeviceId> ids;
  ids.reserve(devices.size());
  store::Transaction tx(db);
  for (const DeviceInfo& info : devices) {
    // Properties a source does not know (empty text, NULL numbers) keep their stored values. An
    // imported device stays imported when a live source (a replay of the same file, the GPU
    // itself) registers it: retention never expires imported history (apply_retention).
    auto st = db.prepare(R"sql(
INSERT INTO devices (uuid, origin, name, gpu_index, pci_bus_id, mem_total_mib, power_limit_default_w,
  power_limit_min_w, power_limit_max_w, sm_clock_max_mhz, mem_clock_max_mhz, graphics_clock_max_mhz, simulated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (uuid) DO UPDATE SET
  origin = CASE WHEN (origin LIKE 'import:%' OR origin LIKE 'prometheus:%')
                 AND NOT (excluded.origin LIKE 'import:%' OR excluded.origin LIKE 'prometheus:%')
           THEN origin ELSE excluded.origin END,
  name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
  gpu_index = excluded.gpu_index,
  pci_bus_id = CASE WHEN excluded.pci_bus_id <> '' THEN excluded.pci_bus_id ELSE pci_bus_id END,
  mem_total_mib = coalesce(excluded.mem_total_mib, mem_total_mib),
  power_limit_default_w = coalesce(excluded.power_limit_default_w, power_limit_default_w),
  power_limit_min_w = coalesce(excluded.power_limit_min_w, power_limit_min_w),
  power_limit_max_w = coalesce(excluded.power_limit_max_w, power_limit_max_w),
  sm_clock_max_mhz = coalesce(excluded.sm_clock_max_mhz, sm_clock_max_mhz),
  mem_clock_max_mhz = coalesce(excluded.mem_clock_max_mhz, mem_clock_max_mhz),
  graphics_clock_max_mhz = coalesce(excluded.graphics_clock_max_mhz, graphics_clock_max_mhz),
  simulated = excluded.simulated
RETURNING id)sql");
    // Only valid UTF-8 is stored (utf8.hpp): every reader turns these into JSON.
    st.bind(1, valid_utf8(info.uuid))
        .bind(2, valid_utf8(origin))
        .bind(3, valid_utf8(info.name))
        .bind(4, std::int64_t{info.index})
        .bind(5, valid_utf8(info.pci_bus_id))
        .bind(6, info.mem_total_mib)
        .bind(7, info.power_limit_default_w)
        .bind(8, info.power_limit_min_w)
        .bind(9, info.power_limit_max_w)
        .bind(10, info.sm_clock_max_mhz)
        .bind(11, info.mem_clock_max_mhz)
        .bind(12, info.graphics_clock_max_mhz)
        .bind(13, std::int64_t{info.simulated ? 1 : 0});
    st.step();
    ids.push_back(st.int64(0));
  }
  tx.commit();
  return ids;
}

std::vector<StoredDevice> Store::devices() const {
  auto devices = load_devices(impl_->db);
  for (StoredDevice& d : devices) load_sample_range(impl_->db, d);
  return devices;
}

StoredDevice Store::find_device(const std::string& selector) const {
  const auto devices = load_devices(impl_->db);
  StoredDevice found = store::select_device(devices, selector, path());
  load_sample_range(impl_->db, found);
  return found;
}

}  // namespace gpuopt
