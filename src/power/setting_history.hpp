// The state of one GPU setting as gpuopt's "power.*" audit events describe it (safe_apply.hpp
// explains the records). Internal to the power library.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/store.hpp"

namespace gpuopt::power {

enum class Setting { power_limit_w, sm_clock_mhz };

std::string_view setting_name(Setting setting);  // "power_limit_w", "sm_clock_mhz"

// A setting value; for clocks nullopt means "not locked".
using SettingValue = std::optional<double>;

struct SettingState {
  bool has_baseline = false;  // gpuopt changed it and has not reset it since
  SettingValue baseline;      // the value before gpuopt's first change
  bool outstanding = false;   // a change to undo: interrupted, or temporary and not yet restored
  SettingValue restore;       // what undoing it sets
  SettingValue current;       // the value gpuopt last set (nullopt: none recorded, or unlocked)
  long owner_pid = 0;         // the process whose change is outstanding (0 = unknown)
};

// Folds the events (oldest first, any kinds) of one device into the state of `setting`.
SettingState fold_history(const std::vector<Event>& events, Setting setting);

// The details_json of a power.* event.
struct ChangeRecord {
  std::string uuid;
  int gpu = 0;
  Setting setting = Setting::power_limit_w;
  SettingValue previous;
  SettingValue target;
  SettingValue baseline;
  SettingValue restore;
  bool temporary = false;
  std::string actor;
  long pid = 0;  // the process making the change
};
std::string to_details_json(const ChangeRecord& record);

}  // namespace gpuopt::power
