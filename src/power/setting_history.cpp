#include "setting_history.hpp"

#include <nlohmann/json.hpp>

namespace gpuopt::power {
namespace {

nlohmann::json value_json(const SettingValue& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

SettingValue value_of(const nlohmann::json& details, const char* key) {
  const auto it = details.find(key);
  if (it == details.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

std::string_view setting_name(Setting setting) {
  return setting == Setting::power_limit_w ? "power_limit_w" : "sm_clock_mhz";
}

std::string to_details_json(const ChangeRecord& r) {
  return nlohmann::json{{"uuid", r.uuid},
                        {"gpu", r.gpu},
                        {"setting", setting_name(r.setting)},
                        {"previous", value_json(r.previous)},
                        {"target", value_json(r.target)},
                        {"baseline", value_json(r.baseline)},
                        {"restore", value_json(r.restore)},
                        {"temporary", r.temporary},
                        {"actor", r.actor},
                        {"pid", r.pid}}
      .dump();
}

SettingState fold_history(const std::vector<Event>& events, Setting setting) {
  SettingState state;
  SettingState before_pending;
  for (const Event& e : events) {
    const auto details = nlohmann::json::parse(e.details_json, nullptr, false);
    if (!details.is_object() || details.value("setting", "") != setting_name(setting)) continue;
    if (e.kind == "power.pending") {
      before_pending = state;
      state.outstanding = true;
      state.restore = value_of(details, "restore");
      state.owner_pid = details.value("pid", 0L);
    } else if (e.kind == "power.apply") {
      if (!state.has_baseline) {
        state.has_baseline = true;
        state.baseline = value_of(details, "baseline");
      }
      state.outstanding = details.value("temporary", false);
      state.restore = value_of(details, "restore");
      state.owner_pid = details.value("pid", 0L);
      state.current = value_of(details, "target");
    } else if (e.kind == "power.failed") {
      state.outstanding = before_pending.outstanding;
      state.restore = before_pending.restore;
    } else if (e.kind == "power.reset") {
      state = SettingState{};
    } else if (e.kind == "power.recover") {
      state.outstanding = false;
      if (!state.has_baseline || value_of(details, "target") == state.baseline) state = SettingState{};
    }
  }
  return state;
}

}  // namespace gpuopt::power
