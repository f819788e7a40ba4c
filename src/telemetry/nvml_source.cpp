#include "nvml_source.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "sources.hpp"

namespace gpuopt {

using namespace nvml;

namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;
constexpr double kMilliwattsPerWatt = 1000.0;

// Names of NvmlSource's per-read queries in error lines, indexed by NvmlSource::Query.
constexpr std::array<const char*, 12> kQueryCalls = {
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetTemperature",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetEnforcedPowerLimit",
    "nvmlDeviceGetClockInfo(SM)",
    "nvmlDeviceGetClockInfo(MEM)",
    "nvmlDeviceGetClockInfo(GRAPHICS)",
    "nvmlDeviceGetCurrentClocksEventReasons",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetPerformanceState",
    "nvmlDeviceGetFanSpeed",
};

// The call that reads each metric checked against plausible_value (metric.hpp): above its bounds
// a reading is a driver sentinel (0xFFFFFFFF) or garbage.
struct CheckedCall {
  Metric metric;
  const char* call;
};
constexpr std::array<CheckedCall, 9> kCheckedCalls = {{
    {Metric::gpu_util_pct, "nvmlDeviceGetUtilizationRates"},
    {Metric::mem_util_pct, "nvmlDeviceGetUtilizationRates"},
    {Metric::temperature_c, "nvmlDeviceGetTemperature"},
    {Metric::power_w, "nvmlDeviceGetPowerUsage"},
    {Metric::power_limit_w, "nvmlDeviceGetEnforcedPowerLimit"},
    {Metric::sm_clock_mhz, "nvmlDeviceGetClockInfo(SM)"},
    {Metric::mem_clock_mhz, "nvmlDeviceGetClockInfo(MEM)"},
    {Metric::graphics_clock_mhz, "nvmlDeviceGetClockInfo(GRAPHICS)"},
    {Metric::fan_speed_pct, "nvmlDeviceGetFanSpeed"},
}};

// A GPU that cannot be used now; what() is its complete error line.
class GpuUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <std::size_t N>
std::string from_buffer(const char (&buffer)[N]) {
  return std::string(buffer, strnlen(buffer, N));
}

// Versions are informative only: a library that cannot tell leaves them empty.
SourceInfo read_source_info(const NvmlLibrary& nvml) {
  const NvmlApi& api = nvml.api();
  SourceInfo info;
  info.name = "nvml";
  char text[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
  if (api.system_get_driver_version != nullptr &&
      api.system_get_driver_version(text, sizeof(text)) == NVML_SUCCESS) {
    info.driver_version = from_buffer(text);
  }
  char nvml_text[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE] = {};
  if (api.system_get_nvml_version != nullptr &&
      api.system_get_nvml_version(nvml_text, sizeof(nvml_text)) == NVML_SUCCESS) {
    info.nvml_version = from_buffer(nvml_text);
  }
  int cuda = 0;
  if (api.system_get_cuda_driver_version != nullptr &&
      api.system_get_cuda_driver_version(&cuda) == NVML_SUCCESS && cuda > 0) {
    info.cuda_driver_version = fmt::format("{}.{}", cuda / 1000, cuda % 1000 / 10);
  }
  return info;
}

unsigned int device_count(const NvmlLibrary& nvml) {
  unsigned int count = 0;
  nvml.check(nvml.api().device_get_count(&count), "nvmlDeviceGetCount");
  return count;
}

std::string_view or_unknown(const std::string& text) {
  return text.empty() ? std::string_view("unknown") : std::string_view(text);
}

}  // namespace

template <typename Fn, typename... Args>
bool NvmlSource::call(Gpu& gpu, const char* name, Fn fn, Args... args) {
  return fn != nullptr && accept(gpu, fn(gpu.handle, args...), name);
}

template <typename Fn, typename... Args>
bool NvmlSource::sample(Gpu& gpu, Query query, Fn fn, Args... args) {
  static_assert(kQueryCalls.size() == kQueryCount);
  const std::uint32_t bit = 1U << query;
  if (fn == nullptr || (gpu.unsupported & bit) != 0) return false;
  const nvmlReturn_t code = fn(gpu.handle, args...);
  if (code == NVML_ERROR_NOT_SUPPORTED || code == NVML_ERROR_FUNCTION_NOT_FOUND) gpu.unsupported |= bit;
  return accept(gpu, code, kQueryCalls[query]);
}

std::string NvmlSource::error_line(const Gpu& gpu, nvmlReturn_t code, const char* call) const {
  // A lost GPU is one problem, whichever call happened to notice it.
  if (classify(code) == Outcome::gpu_lost) return fmt::format("{}: {}", gpu.label, nvml_.describe(code));
  return fmt::format("{}: {}: {}", gpu.label, call, nvml_.describe(code));
}

bool NvmlSource::accept(const Gpu& gpu, nvmlReturn_t code, const char* call) {
  switch (classify(code)) {
    case Outcome::ok:
      return true;
    case Outcome::absent:
      return false;
    case Outcome::gpu_lost:
      throw GpuUnavailable(error_line(gpu, code, call));
    case Outcome::fatal:
      throw NvmlError(error_line(gpu, code, call));
    case Outcome::failed:
      break;
  }
  errors_.push_back(error_line(gpu, code, call));
  return false;
}

void NvmlSource::require(const Gpu& gpu, nvmlReturn_t code, const char* call) {
  const Outcome outcome = classify(code);
  if (outcome == Outcome::ok) return;
  if (outcome == Outcome::fatal) throw NvmlError(error_line(gpu, code, call));
  throw GpuUnavailable(error_line(gpu, code, call));
}

NvmlSource::NvmlSource(const SourceOptions& options) : nvml_(options.nvml_library) {
  nvml_.init();
  info_ = read_source_info(nvml_);
  const unsigned int count = device_count(nvml_);
  for (unsigned int index = 0; index < count; ++index) open_gpu(index);
  startup_errors_ = std::move(errors_);
  errors_ = startup_errors_;
}

void NvmlSource::open_gpu(unsigned int index) {
  Gpu gpu;
  gpu.index = static_cast<int>(index);
  gpu.label = fmt::format("GPU {}", index);
  try {
    require(gpu, nvml_.api().device_get_handle_by_index(index, &gpu.handle), "nvmlDeviceGetHandleByIndex");
    DeviceInfo device = describe_gpu(gpu);
    gpus_.push_back(std::move(gpu));
    devices_.push_back(std::move(device));
  } catch (const GpuUnavailable& e) {
    errors_.emplace_back(e.what());
  }
}

DeviceInfo NvmlSource::describe_gpu(Gpu& gpu) {
  const NvmlApi& api = nvml_.api();
  DeviceInfo device;
  device.index = gpu.index;
  char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
  require(gpu, api.device_get_uuid(gpu.handle, uuid, NVML_DEVICE_UUID_V2_BUFFER_SIZE), "nvmlDeviceGetUUID");
  device.uuid = from_buffer(uuid);
  gpu.label = fmt::format("GPU {} ({})", gpu.index, device.uuid);

  char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {};
  if (call(gpu, "nvmlDeviceGetName", api.device_get_name, name, NVML_DEVICE_NAME_V2_BUFFER_SIZE)) {
    device.name = from_buffer(name);
  }
  // Formatted from the numeric fields, which every nvmlPciInfo_t version places alike.
  nvmlPciInfo_t pci{};
  if (call(gpu, "nvmlDeviceGetPciInfo", api.device_get_pci_info, &pci)) {
    device.pci_bus_id = fmt::format("{:08X}:{:02X}:{:02X}.0", pci.domain, pci.bus, pci.device);
  }
  nvmlMemory_t memory{};
  if (call(gpu, "nvmlDeviceGetMemoryInfo", api.device_get_memory_info, &memory)) {
    device.mem_total_mib = static_cast<double>(memory.total) / kBytesPerMib;
  }
  unsigned int value = 0;
  unsigned int max_value = 0;
  if (call(gpu, "nvmlDeviceGetPowerManagementDefaultLimit", api.device_get_power_management_default_limit,
           &value)) {
    device.power_limit_default_w = value / kMilliwattsPerWatt;
  }
  if (call(gpu, "nvmlDeviceGetPowerManagementLimitConstraints",
           api.device_get_power_management_limit_constraints, &value, &max_value)) {
    device.power_limit_min_w = value / kMilliwattsPerWatt;
    device.power_limit_max_w = max_value / kMilliwattsPerWatt;
  }
  const auto max_clock = [&](nvmlClockType_t type) -> std::optional<double> {
    unsigned int mhz = 0;
    if (!call(gpu, "nvmlDeviceGetMaxClockInfo", api.device_get_max_clock_info, type, &mhz))
      return std::nullopt;
    return mhz;
  };
  device.sm_clock_max_mhz = max_clock(NVML_CLOCK_SM);
  device.mem_clock_max_mhz = max_clock(NVML_CLOCK_MEM);
  device.graphics_clock_max_mhz = max_clock(NVML_CLOCK_GRAPHICS);
  return device;
}

std::vector<Sample> NvmlSource::read(EpochMs now) {
  errors_ = startup_errors_;
  std::vector<Sample> samples;
  samples.reserve(gpus_.size());
  for (std::size_t position = 0; position < gpus_.size(); ++position) {
    Gpu& gpu = gpus_[position];
    try {
      samples.push_back(Sample{static_cast<int>(position), now, read_gpu(gpu)});
    } catch (const GpuUnavailable& e) {
      errors_.emplace_back(e.what());
    }
  }
  return samples;
}

MetricValues NvmlSource::read_gpu(Gpu& gpu) {
  const NvmlApi& api = nvml_.api();
  MetricValues values;
  if (nvmlUtilization_t util{}; sample(gpu, kUtilization, api.device_get_utilization_rates, &util)) {
    values.set(Metric::gpu_util_pct, util.gpu);
    values.set(Metric::mem_util_pct, util.memory);
  }
  if (nvmlMemory_t memory{}; sample(gpu, kMemory, api.device_get_memory_info, &memory)) {
    values.set(Metric::mem_used_mib, static_cast<double>(memory.used) / kBytesPerMib);
    values.set(Metric::mem_free_mib, static_cast<double>(memory.free) / kBytesPerMib);
    values.set(Metric::mem_total_mib, static_cast<double>(memory.total) / kBytesPerMib);
  }
  unsigned int value = 0;
  if (sample(gpu, kTemperature, api.device_get_temperature, NVML_TEMPERATURE_GPU, &value)) {
    values.set(Metric::temperature_c, value);
  }
  if (sample(gpu, kPower, api.device_get_power_usage, &value)) {
    values.set(Metric::power_w, value / kMilliwattsPerWatt);
  }
  if (sample(gpu, kPowerLimit, api.device_get_enforced_power_limit, &value)) {
    values.set(Metric::power_limit_w, value / kMilliwattsPerWatt);
  }
  if (sample(gpu, kSmClock, api.device_get_clock_info, NVML_CLOCK_SM, &value)) {
    values.set(Metric::sm_clock_mhz, value);
  }
  if (sample(gpu, kMemClock, api.device_get_clock_info, NVML_CLOCK_MEM, &value)) {
    values.set(Metric::mem_clock_mhz, value);
  }
  if (sample(gpu, kGraphicsClock, api.device_get_clock_info, NVML_CLOCK_GRAPHICS, &value)) {
    values.set(Metric::graphics_clock_mhz, value);
  }
  unsigned long long counter = 0;
  if (sample(gpu, kClocksEventReasons, api.device_get_current_clocks_event_reasons, &counter)) {
    values.set(Metric::throttle_reasons, static_cast<double>(counter));
  }
  if (sample(gpu, kEnergy, api.device_get_total_energy_consumption, &counter)) {
    values.set(Metric::energy_mj, static_cast<double>(counter));
  }
  nvmlPstates_t pstate = NVML_PSTATE_UNKNOWN;
  if (sample(gpu, kPerformanceState, api.device_get_performance_state, &pstate) && pstate >= NVML_PSTATE_0 &&
      pstate <= NVML_PSTATE_15) {
    values.set(Metric::pstate, pstate);
  }
  if (sample(gpu, kFanSpeed, api.device_get_fan_speed, &value)) {
    values.set(Metric::fan_speed_pct, value);
  }
  drop_impossible(gpu, values);
  return values;
}

void NvmlSource::drop_impossible(const Gpu& gpu, MetricValues& values) {
  for (const CheckedCall& c : kCheckedCalls) {
    const std::optional<double> v = values.get(c.metric);
    if (!v || plausible_value(c.metric, *v)) continue;
    const MetricInfo& info = metric_info(c.metric);
    errors_.push_back(fmt::format("{}: {}: {} {} {} is impossible (at most {} {}); ignored", gpu.label,
                                  c.call, info.column, *v, info.unit, plausible_range(c.metric).high,
                                  info.unit));
    values.clear(c.metric);
  }
}

std::unique_ptr<TelemetrySource> make_nvml_source(const SourceOptions& options) {
  return std::make_unique<NvmlSource>(options);
}

NvmlProbe probe_nvml(const std::string& library_override) {
  NvmlProbe probe;
  try {
    NvmlLibrary nvml(library_override);
    probe.library = nvml.path();
    nvml.init();
    const SourceInfo info = read_source_info(nvml);
    const unsigned int count = device_count(nvml);
    probe.driver_version = info.driver_version;
    probe.available = count > 0;
    probe.message = fmt::format("NVML {} (driver {}, CUDA {}) in {}: {} GPU{}", or_unknown(info.nvml_version),
                                or_unknown(info.driver_version), or_unknown(info.cuda_driver_version),
                                probe.library, count, count == 1 ? "" : "s");
  } catch (const NvmlError& e) {
    probe.message = e.what();
  }
  return probe;
}

}  // namespace gpuopt
