#include "fake_state.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace fake_nvml {
namespace {

using nlohmann::json;

struct ReadingField {
  const char* key;
  Reading Device::*member;
};

constexpr ReadingField kReadingFields[] = {
    {"utilization_gpu", &Device::utilization_gpu},
    {"utilization_memory", &Device::utilization_memory},
    {"memory_total_bytes", &Device::memory_total_bytes},
    {"memory_used_bytes", &Device::memory_used_bytes},
    {"temperature_c", &Device::temperature_c},
    {"power_usage_mw", &Device::power_usage_mw},
    {"enforced_power_limit_mw", &Device::enforced_power_limit_mw},
    {"default_power_limit_mw", &Device::default_power_limit_mw},
    {"power_limit_min_mw", &Device::power_limit_min_mw},
    {"power_limit_max_mw", &Device::power_limit_max_mw},
    {"clock_graphics_mhz", &Device::clock_graphics_mhz},
    {"clock_sm_mhz", &Device::clock_sm_mhz},
    {"clock_mem_mhz", &Device::clock_mem_mhz},
    {"max_clock_graphics_mhz", &Device::max_clock_graphics_mhz},
    {"max_clock_sm_mhz", &Device::max_clock_sm_mhz},
    {"max_clock_mem_mhz", &Device::max_clock_mem_mhz},
    {"clocks_event_reasons", &Device::clocks_event_reasons},
    {"total_energy_mj", &Device::total_energy_mj},
    {"performance_state", &Device::performance_state},
    {"fan_speed_pct", &Device::fan_speed_pct},
};

[[noreturn]] void fail(const std::string& where, const std::string& why) {
  throw std::runtime_error("fake NVML config: " + where + ": " + why);
}

template <typename T>
T get(const json& value, const std::string& where) {
  try {
    return value.get<T>();
  } catch (const json::exception& e) {
    fail(where, e.what());
  }
}

// "NOT_SUPPORTED" and "NVML_ERROR_NOT_SUPPORTED" (and "SUCCESS") name the same code.
nvmlReturn_t parse_code(const json& value, const std::string& where) {
  if (!value.is_string()) fail(where, "expected a number or an NVML return code name");
  const std::string text = value.get<std::string>();
  for (const auto& [code, name] : gpuopt::nvml::kReturnCodeNames) {
    if (name == text || name == "NVML_ERROR_" + text || name == "NVML_" + text) return code;
  }
  fail(where, "unknown NVML return code '" + text + "'");
}

Reading parse_reading(const json& value, const std::string& where) {
  if (value.is_number_unsigned()) return Reading{.value = value.get<unsigned long long>()};
  if (value.is_number()) fail(where, "expected a non-negative integer");
  return Reading{.code = parse_code(value, where)};
}

void parse_pci(const std::string& text, Device& device, const std::string& where) {
  unsigned int domain = 0;
  unsigned int bus = 0;
  unsigned int slot = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x.0", &domain, &bus, &slot) != 3) {
    fail(where, "expected DOMAIN:BUS:DEVICE.0 in hex, e.g. 00000000:3B:00.0");
  }
  device.pci_domain = domain;
  device.pci_bus = bus;
  device.pci_device = slot;
}

Device parse_device(const json& object, std::size_t index) {
  const std::string where = "devices[" + std::to_string(index) + "]";
  if (!object.is_object()) fail(where, "expected an object");
  Device device = make_device(index);
  for (const auto& [key, value] : object.items()) {
    const std::string field = where + "." + key;
    if (key == "name") {
      device.name = get<std::string>(value, field);
    } else if (key == "uuid") {
      device.uuid = get<std::string>(value, field);
    } else if (key == "pci_bus_id") {
      parse_pci(get<std::string>(value, field), device, field);
    } else if (key == "lost") {
      device.lost = get<bool>(value, field);
    } else if (key == "energy_step_mj") {
      device.energy_step_mj = get<unsigned long long>(value, field);
    } else if (key == "set_power_limit") {
      device.set_power_limit_result = parse_code(value, field);
    } else if (key == "set_clocks") {
      device.set_clocks_result = parse_code(value, field);
    } else if (key == "supported_memory_clocks_mhz") {
      device.supported_memory_clocks_mhz = get<std::vector<unsigned int>>(value, field);
    } else if (key == "supported_graphics_clocks_mhz") {
      device.supported_graphics_clocks_mhz = get<std::vector<unsigned int>>(value, field);
    } else {
      bool known = false;
      for (const ReadingField& reading : kReadingFields) {
        if (key != reading.key) continue;
        device.*reading.member = parse_reading(value, field);
        known = true;
      }
      if (!known) fail(field, "unknown key");
    }
  }
  return device;
}

State parse_state(const json& root, State next) {
  if (!root.is_object()) fail("top level", "expected an object");
  for (const auto& [key, value] : root.items()) {
    if (key == "init") {
      next.init_result = parse_code(value, key);
    } else if (key == "driver_version") {
      next.driver_version = get<std::string>(value, key);
    } else if (key == "nvml_version") {
      next.nvml_version = get<std::string>(value, key);
    } else if (key == "cuda_driver_version") {
      next.cuda_driver_version = get<int>(value, key);
    } else if (key == "state_file") {
      next.state_file = get<std::string>(value, key);
    } else if (key == "devices") {
      if (!value.is_array()) fail(key, "expected an array");
      next.devices.clear();
      for (std::size_t i = 0; i < value.size(); ++i) next.devices.push_back(parse_device(value[i], i));
    } else {
      fail(key, "unknown key");
    }
  }
  return next;
}

std::map<std::string, unsigned long long, std::less<>>& counters() {
  static std::map<std::string, unsigned long long, std::less<>> by_symbol;
  return by_symbol;
}

// Settings saved by an earlier process (save_settings) replace the configured ones.
void load_settings(State& s) {
  if (s.state_file.empty()) return;
  std::ifstream file(s.state_file);
  if (!file) return;
  const json saved = json::parse(file, nullptr, false);
  if (!saved.is_array()) fail("state_file " + s.state_file, "expected an array");
  for (std::size_t i = 0; i < saved.size() && i < s.devices.size(); ++i) {
    s.devices[i].enforced_power_limit_mw = Reading{.value = saved[i].value("enforced_power_limit_mw", 0ULL)};
    s.devices[i].locked_sm_clock_mhz = saved[i].value("locked_sm_clock_mhz", 0U);
  }
}

}  // namespace

void save_settings() {
  const State& s = state();
  if (s.state_file.empty()) return;
  json saved = json::array();
  for (const Device& d : s.devices) {
    saved.push_back({{"enforced_power_limit_mw", d.enforced_power_limit_mw.value},
                     {"locked_sm_clock_mhz", d.locked_sm_clock_mhz}});
  }
  std::ofstream(s.state_file) << saved.dump();
}

Device make_device(std::size_t index) {
  Device device;
  for (unsigned int mhz = 1410; mhz >= 210; mhz -= 15) device.supported_graphics_clocks_mhz.push_back(mhz);
  device.uuid = "GPU-fa4e0000-0000-0000-0000-00000000000" + std::to_string(index);
  device.pci_bus = 0x10 + static_cast<unsigned int>(index);
  return device;
}

State& state() {
  static State instance;
  return instance;
}

void configure(std::string_view json_text) {
  State& current = state();
  State fresh;
  fresh.init_count = current.init_count;
  try {
    current = parse_state(json::parse(json_text), std::move(fresh));
    load_settings(current);
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("fake NVML config: ") + e.what());
  }
  for (auto& [symbol, count] : counters()) count = 0;
}

void configure_from_environment() {
  const char* path = std::getenv("FAKE_NVML_CONFIG");
  if (path == nullptr || *path == '\0') return;
  std::ifstream file(path);
  if (!file) throw std::runtime_error(std::string("fake NVML config: cannot open ") + path);
  std::ostringstream text;
  text << file.rdbuf();
  configure(text.str());
}

unsigned long long& call_counter(std::string_view symbol) {
  auto& calls = counters();
  auto it = calls.find(symbol);
  if (it == calls.end()) it = calls.emplace(std::string(symbol), 0).first;
  return it->second;
}

}  // namespace fake_nvml
