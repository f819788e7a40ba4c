// The power optimizer in `gpuopt serve` (docs/power.md, "In the agent"): from each GPU's recent
// power draw it recommends a power limit (advisory mode: GET /api/v1/power and gpuopt_power_*
// gauges) and, in control mode, applies it through the safe-apply path, as temporary changes
// that are restored when the agent stops (or, after a crash, when it starts again).
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "agent_module.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/device_control.hpp"
#include "gpuopt/power/recommend.hpp"
#include "gpuopt/power/safe_apply.hpp"
#include "telemetry/sim_source.hpp"

namespace gpuopt::server {
namespace {

constexpr std::size_t kWindowSamples = 120;  // power readings averaged per GPU
constexpr std::size_t kMinSamples = 10;      // before the first recommendation
constexpr double kMinChangeW = 25;           // control mode: ignore smaller differences
// Control mode: a change the device refused (no privileges, say) is not tried again for the same
// target before this; each try records a pending and a failed event.
constexpr std::chrono::minutes kRetryRefusedAfter{10};

// The simulated GPUs' power limits (SimSource::set_power_limit_w), for control mode on "sim".
class SimControl final : public power::DeviceControl {
 public:
  explicit SimControl(SimSource& source) : source_(source) {}
  std::string name() const override { return "sim"; }
  int device_count() const override { return static_cast<int>(source_.devices().size()); }
  power::DeviceSettings settings(int gpu) const override {
    const DeviceInfo& d = source_.devices().at(static_cast<std::size_t>(gpu));
    power::DeviceSettings s;
    s.index = gpu;
    s.uuid = d.uuid;
    s.name = d.name;
    s.power_limit_w = source_.power_limit_w(gpu);
    s.power_limit_min_w = d.power_limit_min_w;
    s.power_limit_max_w = d.power_limit_max_w;
    s.power_limit_default_w = d.power_limit_default_w;
    return s;
  }
  void set_power_limit_w(int gpu, double limit_w) override { source_.set_power_limit_w(gpu, limit_w); }
  void lock_sm_clock_mhz(int, double) override {
    throw UsageError("simulated GPUs have no SM clock control");
  }
  void reset_sm_clock(int) override {}

 private:
  SimSource& source_;
};

struct GpuAdvice {
  std::optional<power::Recommendation> recommendation;
  power::GpuObservation observed;
  std::string last_action;  // control mode: what was done last, or why not
};

class PowerModule final : public AgentModule, public SampleSink {
 public:
  PowerModule(const AgentContext& context, std::unique_ptr<power::DeviceControl> control)
      : options_(context.options), control_(std::move(control)) {
    objective_ = power::make_objective(options_.power.eta, options_.power.max_slowdown, false, "--power-");
    if (control_) {
      Store store = Store::open(options_.store_path);
      for (const auto& line : power::recover_pending(*control_, store)) spdlog::warn("power: {}", line);
    }
  }

  // Restores the limits this agent set (the safe-apply records make a crash restore them at the next start).
  ~PowerModule() override {
    if (!control_) return;
    try {
      Store store = Store::open(options_.store_path);
      for (const auto& line : power::recover_pending(*control_, store)) spdlog::info("power: {}", line);
    } catch (const Error& e) {
      spdlog::error("power: could not restore the power limits: {}", e.what());
    }
  }

  void register_routes(Router& router) override {
    router.add("GET", "/api/v1/power", "power-limit recommendations per GPU (and actions in control mode)",
               [this](const HttpRequest&) { return json_response(200, to_json().dump()); });
  }
  SampleSink* sink() override { return this; }

  void on_start(const SourceInfo&, const std::vector<DeviceInfo>& devices) override {
    const std::lock_guard lock(mutex_);
    devices_ = devices;
  }

  void on_samples(std::span<const Sample> samples) override {
    for (const Sample& s : samples) {
      const auto power = s.values.get(Metric::power_w);
      if (!power) continue;
      // This module names GPUs by DeviceInfo::index (what DeviceControl takes); samples by position.
      const std::optional<int> gpu = device_index(s.gpu);
      if (!gpu) continue;
      auto& window = power_[*gpu];
      window.push_back(*power);
      if (window.size() > kWindowSamples) window.pop_front();
      if (const auto limit = s.values.get(Metric::power_limit_w)) limit_[*gpu] = *limit;
    }
    {
      const std::lock_guard lock(mutex_);
      for (const auto& [gpu, window] : power_) readings_[gpu] = window.size();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_decision_ < options_.power.decide_every) return;
    last_decision_ = now;
    for (const auto& [gpu, window] : power_) {
      if (window.size() >= kMinSamples) decide(gpu, window);
    }
  }

  void write_metrics(std::string& out) const override {
    const std::lock_guard lock(mutex_);
    const auto gauge = [&](std::string_view name, std::string_view help,
                           double power::Recommendation::*field) {
      out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
      for (const auto& [gpu, a] : advice_) {
        if (a.recommendation)
          out += fmt::format("{}{{gpu=\"{}\"}} {:g}\n", name, gpu, (*a.recommendation).*field);
      }
    };
    gauge("gpuopt_power_recommended_limit_watts", "Power limit gpuopt recommends for the GPU's current job.",
          &power::Recommendation::power_limit_w);
    gauge("gpuopt_power_expected_energy_saving_ratio", "Expected energy saving at the recommended limit.",
          &power::Recommendation::expected_energy_saving);
    gauge("gpuopt_power_expected_slowdown_ratio", "Expected slowdown at the recommended limit.",
          &power::Recommendation::expected_slowdown);
    out += fmt::format(
        "# HELP gpuopt_power_control_mode 1 when the agent applies its recommendations.\n"
        "# TYPE gpuopt_power_control_mode gauge\ngpuopt_power_control_mode {}\n",
        control_ ? 1 : 0);
  }

 private:
  std::optional<int> device_index(int position) const {
    const std::lock_guard lock(mutex_);
    if (position < 0 || static_cast<std::size_t>(position) >= devices_.size()) return std::nullopt;
    return devices_[static_cast<std::size_t>(position)].index;
  }

  void decide(int gpu, const std::deque<double>& window) {
    const DeviceInfo* device = nullptr;
    {
      const std::lock_guard lock(mutex_);
      for (const DeviceInfo& d : devices_) device = d.index == gpu ? &d : device;
    }
    if (device == nullptr || !device->power_limit_min_w || !device->power_limit_max_w) return;
    GpuAdvice advice;
    double sum = 0;
    for (const double p : window) sum += p;
    advice.observed = {sum / static_cast<double>(window.size()),
                       limit_.count(gpu) ? limit_[gpu] : *device->power_limit_max_w,
                       *device->power_limit_min_w, *device->power_limit_max_w};
    try {
      advice.recommendation = power::recommend_power_limit(advice.observed, objective_);
      if (control_) advice.last_action = act(gpu, advice);
    } catch (const Error& e) {
      advice.last_action = e.what();
      // Errors of the control path already name the GPU ("GPU 0: ...").
      const std::string prefix = fmt::format("GPU {}: ", gpu);
      if (advice.last_action.starts_with(prefix)) {
        spdlog::warn("power: {}", advice.last_action);
      } else {
        spdlog::warn("power: {}{}", prefix, advice.last_action);
      }
    }
    const std::lock_guard lock(mutex_);
    advice_[gpu] = std::move(advice);
  }

  std::string act(int gpu, const GpuAdvice& advice) {
    const double target = advice.recommendation->power_limit_w;
    // The device knows its limit now; samples may predate the last change.
    const double current = control_->settings(gpu).power_limit_w.value_or(advice.observed.current_limit_w);
    if (std::abs(target - current) < kMinChangeW)
      return fmt::format("kept the current limit ({:g} W)", current);
    const auto now = std::chrono::steady_clock::now();
    const auto refused = refused_.find(gpu);
    if (refused != refused_.end() && std::abs(refused->second.target_w - target) < kMinChangeW &&
        now - refused->second.at < kRetryRefusedAfter) {
      return fmt::format("not retried yet: setting {:g} W failed {} s ago ({}); retrying after {} min",
                         refused->second.target_w,
                         std::chrono::duration_cast<std::chrono::seconds>(now - refused->second.at).count(),
                         refused->second.why, kRetryRefusedAfter.count());
    }
    Store store = Store::open(options_.store_path);
    power::SettingChange change;
    change.gpu = gpu;
    change.value = target;
    change.temporary = true;
    change.actor = "gpuopt serve (control mode)";
    try {
      const std::string message = power::apply_setting(*control_, store, change).message;
      refused_.erase(gpu);
      return message;
    } catch (const NvmlError& e) {
      refused_[gpu] = {target, now, e.what()};
      throw;
    }
  }

  nlohmann::json to_json() const {
    const std::lock_guard lock(mutex_);
    nlohmann::json gpus = nlohmann::json::array();
    for (const DeviceInfo& d : devices_) {
      const auto found = advice_.find(d.index);
      if (found == advice_.end()) {
        gpus.push_back({{"gpu", d.index}, {"reason", no_advice_reason(d)}});
        continue;
      }
      const GpuAdvice& a = found->second;
      nlohmann::json j{{"gpu", d.index},
                       {"avg_power_w", a.observed.avg_power_w},
                       {"power_limit_w", a.observed.current_limit_w}};
      if (a.recommendation) {
        j["recommended_power_limit_w"] = a.recommendation->power_limit_w;
        j["expected_energy_saving"] = a.recommendation->expected_energy_saving;
        j["expected_slowdown"] = a.recommendation->expected_slowdown;
        j["why"] = a.recommendation->why;
      }
      if (!a.last_action.empty()) j["last_action"] = a.last_action;
      gpus.push_back(j);
    }
    return {
        {"mode", control_ ? "control" : "advisory"}, {"objective", objective_.describe()}, {"gpus", gpus}};
  }

  // Why GPU `d` has no recommendation yet; mutex_ held.
  std::string no_advice_reason(const DeviceInfo& d) const {
    if (!d.power_limit_min_w || !d.power_limit_max_w)
      return "the source reports no power-limit range for this GPU: nothing to recommend";
    const auto it = readings_.find(d.index);
    const std::size_t readings = it == readings_.end() ? 0 : it->second;
    if (readings == 0) return "the source reports no power draw for this GPU yet";
    return fmt::format("waiting for {} power readings ({} so far)", kMinSamples, readings);
  }

  const ServeOptions& options_;
  std::unique_ptr<power::DeviceControl> control_;
  power::Objective objective_;
  std::map<int, std::deque<double>> power_;  // sampler thread only
  std::map<int, double> limit_;              // sampler thread only
  struct Refused {
    double target_w;
    std::chrono::steady_clock::time_point at;
    std::string why;
  };
  std::map<int, Refused> refused_;  // sampler thread only: the last change NVML refused per GPU
  std::chrono::steady_clock::time_point last_decision_{};
  mutable std::mutex mutex_;  // guards devices_, readings_ and advice_
  std::vector<DeviceInfo> devices_;
  std::map<int, std::size_t> readings_;  // power readings in each GPU's window
  std::map<int, GpuAdvice> advice_;
};

std::unique_ptr<power::DeviceControl> open_control(const AgentContext& context) {
  if (context.options.store_path.empty()) {
    throw UsageError("--power-mode control needs the store to record and restore changes (drop --no-store)");
  }
  if (auto* sim = dynamic_cast<SimSource*>(&context.source)) return std::make_unique<SimControl>(*sim);
  if (context.source.info().name == "nvml")
    return power::open_nvml_control(context.options.power.nvml_library);
  throw UsageError(
      fmt::format("--power-mode control: the {} source has no GPU to control", context.source.info().name));
}

// A gpuopt process that died (an agent in control mode, an interrupted apply) left its changes on
// the GPUs; they are undone at start whatever this agent's mode (control mode does it in PowerModule).
// Failures are warnings: the agent still starts, and the changes stay recorded for the next start.
void recover_without_control(const AgentContext& context) {
  if (context.options.store_path.empty() || context.source.info().name != "nvml") return;
  try {
    const auto control = power::open_nvml_control(context.options.power.nvml_library);
    Store store = Store::open(context.options.store_path);
    for (const auto& line : power::recover_pending(*control, store)) spdlog::warn("power: {}", line);
  } catch (const Error& e) {
    spdlog::warn(
        "power: could not check for changes left by an earlier gpuopt process: {} (`sudo gpuopt power apply "
        "--gpu N --reset` restores GPU N)",
        e.what());
  }
}

}  // namespace

std::unique_ptr<AgentModule> make_power_module(const AgentContext& context) {
  using Mode = PowerServeOptions::Mode;
  if (context.options.power.mode != Mode::control) recover_without_control(context);
  if (context.options.power.mode == Mode::off) return nullptr;
  auto control = context.options.power.mode == Mode::control ? open_control(context) : nullptr;
  return std::make_unique<PowerModule>(context, std::move(control));
}

}  // namespace gpuopt::server
