// `gpuopt power recommend`: a power limit for a GPU from its recent telemetry.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "cmd_power.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"
#include "gpuopt/power/recommend.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::cli {
namespace {

struct RecommendArgs {
  std::string gpu;
  std::string window = "10m";
  double eta = 0.5;
  std::string max_slowdown;
  std::string prior_file;
  SourceArgs source;
  bool live = false;
  int readings = 10;
};

double mean_of(const std::vector<Point>& points) {
  double sum = 0;
  for (const Point& p : points) sum += p.value;
  return points.empty() ? 0 : sum / static_cast<double>(points.size());
}

// What recommend looks at, and the GPU's index in its source (what `power apply --gpu` takes).
struct Observed {
  power::GpuObservation gpu;
  int index = 0;
};

Observed from_store(const RecommendArgs& args, const GlobalOptions& global) {
  const Store store = Store::open(resolve_db_path(global), Store::Mode::read_only);
  const StoredDevice device = store.find_device(args.gpu);
  const EpochMs to = now_ms() + 1;
  const EpochMs from = to - positive_duration("--window", args.window).count();
  power::GpuObservation gpu;
  gpu.avg_power_w = mean_of(store.query({device.id, Metric::power_w, from, to}));
  gpu.current_limit_w = mean_of(store.query({device.id, Metric::power_limit_w, from, to}));
  if (gpu.avg_power_w <= 0) {
    throw Error(
        fmt::format("GPU {}: no power samples in the store for the last {} (run `gpuopt collect` or "
                    "`gpuopt serve` first, or use --live)",
                    args.gpu, args.window));
  }
  gpu.min_limit_w = device.info.power_limit_min_w.value_or(0);
  gpu.max_limit_w = device.info.power_limit_max_w.value_or(0);
  if (gpu.current_limit_w <= 0) gpu.current_limit_w = gpu.max_limit_w;
  return {gpu, device.info.index};
}

Observed from_source(const RecommendArgs& args, const GlobalOptions& global) {
  const auto source = open_cli_source(args.source, global);
  int index = -1;
  const auto [end, error] = std::from_chars(args.gpu.data(), args.gpu.data() + args.gpu.size(), index);
  if (error != std::errc() || end != args.gpu.data() + args.gpu.size() || index < 0) {
    throw UsageError(fmt::format("--gpu '{}': with --live, give the GPU's index in the source", args.gpu));
  }
  const auto& devices = source->devices();
  const auto device =
      std::find_if(devices.begin(), devices.end(), [&](const DeviceInfo& d) { return d.index == index; });
  if (device == devices.end()) {
    throw UsageError(fmt::format("--gpu {}: the source has no such GPU ({} GPU{})", index, devices.size(),
                                 devices.size() == 1 ? "" : "s"));
  }
  power::GpuObservation gpu;
  int count = 0;
  for (int i = 0; i < args.readings; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const Sample& s : source->read(now_ms())) {
      if (s.gpu != device - devices.begin()) continue;  // samples name devices by position
      if (const auto p = s.values.get(Metric::power_w)) {
        gpu.avg_power_w += *p;
        ++count;
      }
      if (const auto l = s.values.get(Metric::power_limit_w)) gpu.current_limit_w = *l;
    }
  }
  if (count == 0) throw Error(fmt::format("GPU {}: the source reported no power draw", args.gpu));
  gpu.avg_power_w /= count;
  gpu.min_limit_w = device->power_limit_min_w.value_or(0);
  gpu.max_limit_w = device->power_limit_max_w.value_or(0);
  if (gpu.current_limit_w <= 0) gpu.current_limit_w = gpu.max_limit_w;
  return {gpu, index};
}

std::string read_text(const std::string& path) {
  try {
    return read_file_capped(path, 64 * kMiB, "a power prior file");
  } catch (const ParseError& e) {
    throw UsageError(fmt::format("--prior {}", e.what()));
  }
}

void run(const RecommendArgs& args, const GlobalOptions& global) {
  const power::Objective objective = power::make_objective(args.eta, args.max_slowdown, false);
  const Observed observed = args.live ? from_source(args, global) : from_store(args, global);
  const power::GpuObservation& gpu = observed.gpu;
  const auto r =
      power::recommend_power_limit(gpu, objective, args.prior_file.empty() ? "" : read_text(args.prior_file),
                                   "--prior " + args.prior_file);
  fmt::print("GPU {}: recommended power limit {:g} W (now {:g} W)\n", args.gpu, r.power_limit_w,
             gpu.current_limit_w);
  fmt::print("expected vs the maximum limit: energy {:+.1f}%, time {:+.1f}%, {} {:+.1f}%\n",
             -100 * r.expected_energy_saving, 100 * r.expected_slowdown, objective.describe(),
             -100 * r.expected_cost_saving);
  fmt::print("why: {}\n", r.why);
  fmt::print("apply: sudo gpuopt power apply --gpu {} --limit {:g}W\n", observed.index, r.power_limit_w);
}

}  // namespace

void register_power_recommend(CLI::App& power, const GlobalOptions& global) {
  auto args = std::make_shared<RecommendArgs>();
  CLI::App* cmd = power.add_subcommand(
      "recommend",
      "Recommend a power limit for a GPU from its recent power draw (stored or live), with the "
      "expected energy saving and slowdown and why");
  cmd->fallthrough();
  cmd->footer(
      "\nThe prediction comes from the curve model shipped with gpuopt (trained on measured sweeps of\n"
      "other jobs and GPUs); it does not change anything (see `gpuopt power apply`).\n\n"
      "Examples:\n"
      "  gpuopt power recommend --gpu 0                      # from the last 10 minutes in the store\n"
      "  gpuopt power recommend --gpu 0 --max-slowdown 5%\n"
      "  gpuopt power recommend --gpu 0 --live --source sim  # from ten live readings\n");
  cmd->add_option("--gpu", args->gpu,
                  "The GPU: store selector (index, UUID prefix, #id) or, with --live, its index")
      ->required();
  cmd->add_option("--window", args->window, "How far back to average the stored power draw")
      ->capture_default_str();
  CLI::Option* eta = cmd->add_option("--eta", args->eta, "Zeus cost weight of energy vs time, in [0, 1]")
                         ->capture_default_str();
  cmd->add_option("--max-slowdown", args->max_slowdown,
                  "Minimise energy with at most this slowdown (e.g. 5%)")
      ->excludes(eta);
  cmd->add_option("--prior", args->prior_file, "A curve model file from `gpuopt power eval --save-prior`");
  cmd->add_flag("--live", args->live, "Read the source now instead of the store");
  add_source_options(*cmd, args->source);
  cmd->callback([args, &global] { run(*args, global); });
}

}  // namespace gpuopt::cli
