#include "gpuopt/power/safe_apply.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/host.hpp"
#include "gpuopt/time.hpp"
#include "setting_history.hpp"

namespace gpuopt::power {
namespace {

std::string show(Setting setting, const SettingValue& v) {
  if (setting == Setting::sm_clock_mhz) return v ? fmt::format("{:g} MHz (locked)", *v) : "unlocked";
  return v ? fmt::format("{:g} W", *v) : "unknown";
}

std::string label(Setting setting) { return setting == Setting::power_limit_w ? "power limit" : "SM clock"; }

// Everything one change needs to know about its device.
struct Target {
  DeviceControl& control;
  Store& store;
  DeviceSettings settings;
  DeviceId device = 0;
  std::vector<Event> events;
};

Target open_target(DeviceControl& control, Store& store, int gpu) {
  Target t{control, store, control.settings(gpu), 0, {}};
  DeviceInfo info;
  info.index = gpu;
  info.uuid = t.settings.uuid;
  info.name = t.settings.name;
  info.power_limit_min_w = t.settings.power_limit_min_w;
  info.power_limit_max_w = t.settings.power_limit_max_w;
  info.power_limit_default_w = t.settings.power_limit_default_w;
  info.sm_clock_max_mhz = t.settings.sm_clock_max_mhz;
  const std::vector<DeviceInfo> infos{info};
  t.device = store.register_devices(infos, control.name() + "@" + local_host_name()).front();
  t.events = store.events(0, now_ms() + 1, t.device, "power.");
  return t;
}

void set_value(DeviceControl& control, int gpu, Setting setting, const SettingValue& value) {
  if (setting == Setting::power_limit_w) {
    control.set_power_limit_w(gpu, *value);
  } else if (value) {
    control.lock_sm_clock_mhz(gpu, *value);
  } else {
    control.reset_sm_clock(gpu);
  }
}

void record(Target& t, const std::string& kind, const std::string& severity, const std::string& message,
            const ChangeRecord& r) {
  Event e;
  e.time_ms = now_ms();
  e.device = t.device;
  e.kind = kind;
  e.severity = severity;
  e.message = message;
  e.details_json = to_details_json(r);
  t.store.add_event(e);
}

// pending -> change -> done_kind (or failed), as safe_apply.hpp describes.
void change(Target& t, const ChangeRecord& r, const std::string& done_kind, const std::string& message) {
  record(t, "power.pending", "info", "about to change: " + message, r);
  try {
    set_value(t.control, r.gpu, r.setting, r.target);
  } catch (const Error& e) {
    record(t, "power.failed", "warning", fmt::format("{} failed: {}", message, e.what()), r);
    throw;
  }
  try {
    record(t, done_kind, "info", message, r);
  } catch (const StoreError& e) {
    // The GPU is changed and only the pending record says so: that record is what undoes it.
    const std::string restore = show(r.setting, r.restore);
    const std::string undo =
        r.temporary
            ? fmt::format("this process restores it to {} when it stops", restore)
            : fmt::format("the next `gpuopt power apply` or `gpuopt serve` start restores it to {}", restore);
    throw StoreError(fmt::format("GPU {} was changed to {} but the change could not be recorded: {}; {}",
                                 r.gpu, show(r.setting, r.target), e.what(), undo));
  }
}

// NVML takes milliwatts: a limit is checked and compared as it will be set. Values far out of any
// range stay as given, so that the refusal shows them (not an overflowed inf).
double settable_w(double limit_w) {
  return std::abs(limit_w) < 1e9 ? std::round(limit_w * 1000) / 1000 : limit_w;
}

void check_power_limit(const DeviceSettings& s, double limit_w) {
  if (!s.power_limit_min_w || !s.power_limit_max_w) {
    throw Error(
        fmt::format("GPU {}: the device does not report its allowed power-limit range; refusing to "
                    "change it",
                    s.index));
  }
  if (limit_w < *s.power_limit_min_w - 1e-9 || limit_w > *s.power_limit_max_w + 1e-9) {
    throw UsageError(fmt::format("GPU {}: {:g} W is outside the allowed power-limit range {:g}-{:g} W",
                                 s.index, limit_w, *s.power_limit_min_w, *s.power_limit_max_w));
  }
}

// Only a clock the device lists is locked: without the list there is no safe lower end (locking
// 1 MHz under a 1.5 GHz maximum would be accepted and crawl), so the change is refused.
void check_sm_clock(const DeviceSettings& s, double mhz) {
  if (s.sm_clocks_mhz.empty()) {
    throw Error(fmt::format("GPU {}: the device does not report its supported SM clocks; refusing to lock it",
                            s.index));
  }
  if (std::find(s.sm_clocks_mhz.begin(), s.sm_clocks_mhz.end(), mhz) != s.sm_clocks_mhz.end()) return;
  const auto nearest =
      *std::min_element(s.sm_clocks_mhz.begin(), s.sm_clocks_mhz.end(),
                        [&](double a, double b) { return std::abs(a - mhz) < std::abs(b - mhz); });
  throw UsageError(
      fmt::format("GPU {}: {:g} MHz is not a supported SM clock ({:g}-{:g} MHz; nearest {:g} MHz)", s.index,
                  mhz, s.sm_clocks_mhz.back(), s.sm_clocks_mhz.front(), nearest));
}

// What undoing a change from `value` sets: the value itself, except that a power limit the device
// could not report is restored to its default limit (nullopt when it reports none either).
SettingValue restore_value(const DeviceSettings& s, Setting setting, const SettingValue& value) {
  if (setting == Setting::power_limit_w && !value) return s.power_limit_default_w;
  return value;
}

ChangeRecord record_for(const Target& t, const SettingChange& c, Setting setting,
                        const SettingValue& previous, const SettingValue& target) {
  const SettingState state = fold_history(t.events, setting);
  const SettingValue restorable = restore_value(t.settings, setting, previous);
  ChangeRecord r;
  r.uuid = t.settings.uuid;
  r.gpu = c.gpu;
  r.setting = setting;
  r.previous = previous;
  r.target = target;
  r.baseline = state.has_baseline ? restore_value(t.settings, setting, state.baseline) : restorable;
  r.pid = static_cast<long>(::getpid());
  // A temporary change undoes to what was in force before this process's first temporary change
  // (an operator's cap, say), not to gpuopt's baseline.
  const bool same_process_outstanding = state.outstanding && state.owner_pid == r.pid;
  r.restore = c.temporary && same_process_outstanding ? state.restore : restorable;
  r.temporary = c.temporary;
  r.actor = c.actor;
  return r;
}

// Another live process on this host owns the change (an agent in control mode, an apply in progress).
bool owned_by_another_live_process(long pid) {
  if (pid <= 0 || pid == static_cast<long>(::getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

ChangeResult apply_one(Target& t, const SettingChange& c, Setting setting, const SettingValue& previous,
                       const SettingValue& target, const std::string& done_kind) {
  if (done_kind == "power.apply" && previous && target && std::abs(*previous - *target) < 1e-9) {
    return {false, fmt::format("GPU {} ({}): {} is already {}; nothing changed", c.gpu, t.settings.name,
                               label(setting), show(setting, target))};
  }
  const std::string what = fmt::format("GPU {} ({}): {} {} -> {}", c.gpu, t.settings.name, label(setting),
                                       show(setting, previous), show(setting, target));
  if (c.dry_run) return {false, "dry run: would change " + what + "; nothing changed"};
  const ChangeRecord r = record_for(t, c, setting, previous, target);
  change(t, r, done_kind, what);
  if (done_kind == "power.reset") return {true, what + "; recorded in the store"};
  if (c.temporary) {
    return {true, fmt::format("{}; recorded in the store (restored to {} when this process stops)", what,
                              show(setting, r.restore))};
  }
  return {true,
          fmt::format("{}; recorded in the store (restore with `gpuopt power apply --gpu {} --reset`, to {})",
                      what, c.gpu, show(setting, r.baseline))};
}

// NVML cannot report which clock is locked, and a driver reload or `nvidia-smi -rgc` clears a lock
// gpuopt recorded: locking again (idempotent) makes the GPU match the record, which stays as it is.
ChangeResult lock_again(Target& t, const SettingChange& c) {
  const std::string what = fmt::format("GPU {} ({}): SM clock is already {} as recorded by gpuopt", c.gpu,
                                       t.settings.name, show(Setting::sm_clock_mhz, c.value));
  if (c.dry_run) return {false, "dry run: " + what + "; would lock it again; nothing changed"};
  t.control.lock_sm_clock_mhz(c.gpu, c.value);
  return {false, what + "; locked it again in case it was cleared outside gpuopt"};
}

ChangeResult reset(Target& t, const SettingChange& c) {
  std::vector<std::string> lines;
  bool changed = false;
  const SettingState power = fold_history(t.events, Setting::power_limit_w);
  const SettingValue power_target =
      power.has_baseline && power.baseline ? power.baseline : t.settings.power_limit_default_w;
  if (!power_target) {
    throw Error(
        fmt::format("GPU {}: no recorded power limit to restore and no default limit reported", c.gpu));
  }
  if (t.settings.power_limit_w != power_target || power.has_baseline) {
    const auto r =
        apply_one(t, c, Setting::power_limit_w, t.settings.power_limit_w, power_target, "power.reset");
    changed = changed || r.changed;
    lines.push_back(r.message);
  }
  const SettingState clock = fold_history(t.events, Setting::sm_clock_mhz);
  if (clock.has_baseline || clock.outstanding) {
    const auto r = apply_one(t, c, Setting::sm_clock_mhz, clock.current, clock.baseline, "power.reset");
    changed = changed || r.changed;
    lines.push_back(r.message);
  }
  if (lines.empty()) {
    return {false,
            fmt::format("GPU {}: nothing to reset (power limit {} is the default; no clock locked by gpuopt)",
                        c.gpu, show(Setting::power_limit_w, t.settings.power_limit_w))};
  }
  return {changed, fmt::format("{}", fmt::join(lines, "\n"))};
}

// Restores GPU `gpu`'s outstanding changes (recover_pending), one line each in `lines`.
void recover_gpu(DeviceControl& control, Store& store, int gpu, std::vector<std::string>& lines) {
  Target t = open_target(control, store, gpu);
  for (const Setting setting : {Setting::power_limit_w, Setting::sm_clock_mhz}) {
    const SettingState state = fold_history(t.events, setting);
    if (!state.outstanding) continue;
    if (owned_by_another_live_process(state.owner_pid)) {
      lines.push_back(fmt::format("GPU {}: left the {} as set by running process {} (not interrupted)", gpu,
                                  label(setting), state.owner_pid));
      continue;
    }
    // Records from before restore_value() may hold no power limit to restore.
    const SettingValue restore = restore_value(t.settings, setting, state.restore);
    if (setting == Setting::power_limit_w && !restore) {
      lines.push_back(fmt::format(
          "GPU {}: could not restore the power limit: no value recorded and no default limit reported", gpu));
      continue;
    }
    SettingChange c;
    c.gpu = gpu;
    c.actor = "recovery";
    ChangeRecord r = record_for(t, c, setting, std::nullopt, restore);
    const std::string what = fmt::format(
        "GPU {} ({}): restored the {} to {}, undoing an interrupted or temporary "
        "change",
        gpu, t.settings.name, label(setting), show(setting, restore));
    try {
      set_value(control, gpu, setting, restore);
      record(t, "power.recover", "warning", what, r);
      lines.push_back(what);
    } catch (const Error& e) {
      lines.push_back(fmt::format("GPU {}: could not restore the {} to {}: {}", gpu, label(setting),
                                  show(setting, restore), e.what()));
    }
  }
}

}  // namespace

ChangeResult apply_setting(DeviceControl& control, Store& store, const SettingChange& c) {
  Target t = open_target(control, store, c.gpu);
  switch (c.kind) {
    case SettingChange::Kind::power_limit: {
      const double limit_w = settable_w(c.value);
      check_power_limit(t.settings, limit_w);
      if (!t.settings.power_limit_w && !t.settings.power_limit_default_w) {
        throw NvmlError(fmt::format(
            "GPU {}: the device reports neither its current nor its default power limit, so there would be "
            "no value to restore; nothing changed",
            c.gpu));
      }
      return apply_one(t, c, Setting::power_limit_w, t.settings.power_limit_w, limit_w, "power.apply");
    }
    case SettingChange::Kind::sm_clock: {
      check_sm_clock(t.settings, c.value);
      const SettingState state = fold_history(t.events, Setting::sm_clock_mhz);
      if (state.current && std::abs(*state.current - c.value) < 1e-9) return lock_again(t, c);
      return apply_one(t, c, Setting::sm_clock_mhz, state.current, c.value, "power.apply");
    }
    case SettingChange::Kind::reset:
      return reset(t, c);
  }
  return {};
}

std::vector<std::string> recover_pending(DeviceControl& control, Store& store) {
  std::vector<std::string> lines;
  for (int gpu = 0; gpu < control.device_count(); ++gpu) {
    // One GPU that cannot be reached (lost, reset needed) must not keep the others from being restored.
    try {
      recover_gpu(control, store, gpu, lines);
    } catch (const NvmlError& e) {
      lines.push_back(fmt::format(
          "{} (could not check it for changes to restore; they stay recorded for the next start)", e.what()));
    }
  }
  return lines;
}

}  // namespace gpuopt::power
