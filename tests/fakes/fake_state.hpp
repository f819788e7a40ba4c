// State of the fake libnvidia-ml: what each scripted GPU answers, parsed from the JSON config
// described in README.md. Single-threaded, like the tests that drive it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "nvml_api.hpp"

namespace fake_nvml {

using gpuopt::nvml::nvmlReturn_t;

// One scripted answer: the value a query reports, or the error code it returns instead.
struct Reading {
  nvmlReturn_t code = gpuopt::nvml::NVML_SUCCESS;
  unsigned long long value = 0;
};

// Defaults describe a busy A100 80GB, so `{"devices": [{}]}` is a complete GPU.
struct Device {
  std::string name = "NVIDIA A100-SXM4-80GB";
  std::string uuid;  // default "GPU-fa4e0000-0000-0000-0000-00000000000<index>"
  unsigned int pci_domain = 0;
  unsigned int pci_bus = 0;  // default 0x10 + index
  unsigned int pci_device = 0;
  bool lost = false;                      // every call on this GPU answers NVML_ERROR_GPU_IS_LOST
  unsigned long long energy_step_mj = 0;  // added to total_energy_mj after each energy query

  Reading utilization_gpu{.value = 75};
  Reading utilization_memory{.value = 40};
  Reading memory_total_bytes{.value = 85899345920ULL};  // 81920 MiB
  Reading memory_used_bytes{.value = 42949672960ULL};   // 40960 MiB
  Reading temperature_c{.value = 62};
  Reading power_usage_mw{.value = 312500};
  Reading enforced_power_limit_mw{.value = 400000};
  Reading default_power_limit_mw{.value = 400000};
  Reading power_limit_min_mw{.value = 100000};
  Reading power_limit_max_mw{.value = 400000};
  Reading clock_graphics_mhz{.value = 1410};
  Reading clock_sm_mhz{.value = 1410};
  Reading clock_mem_mhz{.value = 1593};
  Reading max_clock_graphics_mhz{.value = 1410};
  Reading max_clock_sm_mhz{.value = 1410};
  Reading max_clock_mem_mhz{.value = 1593};
  Reading clocks_event_reasons{.value = 0};
  Reading total_energy_mj{.value = 1000000};
  Reading performance_state{.value = 0};
  Reading fan_speed_pct{.value = 30};

  // Control: what the setters return instead of succeeding (SUCCESS = they work, within the
  // constraints above), the clocks a GPU supports, and the clock lock in force.
  nvmlReturn_t set_power_limit_result = gpuopt::nvml::NVML_SUCCESS;
  nvmlReturn_t set_clocks_result = gpuopt::nvml::NVML_SUCCESS;
  std::vector<unsigned int> supported_memory_clocks_mhz = {1593};
  std::vector<unsigned int> supported_graphics_clocks_mhz;  // default 1410, 1395, ... 210 (an A100)
  unsigned int locked_sm_clock_mhz = 0;                     // 0 = not locked
};

// A device with all defaults, identity included, as the `index`-th GPU.
Device make_device(std::size_t index);

struct State {
  nvmlReturn_t init_result = gpuopt::nvml::NVML_SUCCESS;
  std::string driver_version = "535.104.05";
  std::string nvml_version = "12.535.104.05";
  int cuda_driver_version = 12020;
  std::vector<Device> devices = {make_device(0)};
  int init_count = 0;  // nvmlInit minus nvmlShutdown calls
  // When set, every successful setter saves the settings there and each configuration loads
  // them back, so a change outlives the process (as on a real GPU).
  std::string state_file;
};

// Writes the settings of every device to state().state_file (no-op when unset).
void save_settings();

State& state();

// Replaces the scripted configuration with `json_text` (init count kept, call counters zeroed).
// Throws std::runtime_error naming the offending key or value; the state is unchanged then.
void configure(std::string_view json_text);

// Loads $FAKE_NVML_CONFIG when set (called by nvmlInit). Throws as configure().
void configure_from_environment();

// The call counter of one exported symbol, created at 0 on first use. References stay valid
// for the library's lifetime (exported functions keep one in a static local).
unsigned long long& call_counter(std::string_view symbol);

}  // namespace fake_nvml
