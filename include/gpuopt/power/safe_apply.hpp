// Changing a GPU setting safely (docs/power.md, "Applying a setting"): only within what the
// device reports it allows, with the value it replaces recorded in the store first, and every
// change an audit event ("power.*" events, shown by `gpuopt events`).
//
// Recovery: before a change, a "power.pending" event records what to restore; after it, a
// "power.apply" (or "power.failed") event resolves it. A pending record that is never resolved
// means the process died mid-change; a change made "temporary" (by `gpuopt serve` in control
// mode) stays outstanding until its process restores it at a clean exit. recover_pending(),
// called by `gpuopt power apply` and `gpuopt serve` at start, restores both, except changes
// whose process (recorded by pid) is still running on this host.
#pragma once

#include <string>
#include <vector>

#include "gpuopt/power/device_control.hpp"
#include "gpuopt/store.hpp"

namespace gpuopt::power {

struct SettingChange {
  enum class Kind { power_limit, sm_clock, reset };
  int gpu = 0;
  Kind kind = Kind::power_limit;
  double value = 0;        // W (power_limit) or MHz (sm_clock); unused by reset
  bool dry_run = false;    // validate and describe only: nothing changes, nothing is recorded
  bool temporary = false;  // restore at the end of the process (see above) to the value in force
                           // before this process's first temporary change of the setting
  std::string actor = "gpuopt power apply";  // who asked, for the audit events
};

struct ChangeResult {
  bool changed = false;
  std::string message;  // one line for people
};

// Applies `change` through `control`, recording it in `store`. Reset restores the value before
// gpuopt's first recorded change (else the default power limit) and unlocks a clock gpuopt locked.
// A power limit the device cannot report is recorded to be restored to its default limit; with
// neither reported, the change is refused (NvmlError, nothing changed or recorded).
// Throws UsageError for a value outside the device's reported constraints, Error when the device
// does not report them (or, for a reset, no value to restore), NvmlError when the device refuses (privileges,
// support) — after recording a "power.failed" event — and StoreError when the store cannot be written: before
// the change nothing is changed; after it the message says the GPU was changed and what restores it.
ChangeResult apply_setting(DeviceControl& control, Store& store, const SettingChange& change);

// Restores every outstanding change of the devices of `control` (see above) and records a
// "power.recover" event for each; one line per restore. Restore failures, and GPUs NVML cannot
// reach (lost, reset required), are reported as lines too, naming the GPU; their changes stay
// outstanding and the other GPUs are still restored. Throws StoreError when the store fails.
std::vector<std::string> recover_pending(DeviceControl& control, Store& store);

}  // namespace gpuopt::power
