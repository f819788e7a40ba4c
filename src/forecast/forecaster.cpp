#include "gpuopt/forecast/forecaster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/units.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

using nlohmann::json;

json floats_to_json(const std::vector<float>& values) {
  json out = json::array();
  for (const float v : values) out.push_back(std::isnan(v) ? json(nullptr) : json(v));
  return out;
}

std::vector<float> floats_from_json(const json& j) {
  std::vector<float> out;
  for (const json& v : j)
    out.push_back(v.is_null() ? std::numeric_limits<float>::quiet_NaN() : v.get<float>());
  return out;
}

ForecastSpec spec_from_meta(const json& meta) {
  ForecastSpec spec;
  spec.step = std::chrono::milliseconds(meta.at("step_ms").get<std::int64_t>());
  spec.horizons.clear();
  for (const json& h : meta.at("horizons_ms")) spec.horizons.emplace_back(h.get<std::int64_t>());
  const json& w = meta.at("window");
  spec.window.fine_steps = w.at("fine_steps").get<int>();
  spec.window.coarse_steps = w.at("coarse_steps").get<int>();
  spec.window.coarse_factor = w.at("coarse_factor").get<int>();
  return spec;
}

// A spec read from a model file must be one this gpuopt can run: a zero or negative window size
// would index outside the history, a zero step divide by zero.
void check_spec(const ForecastSpec& spec, const json& meta, const std::string& name) {
  const auto bad = [&](const char* field, const std::string& why) { throw ParseError(name, 0, field, why); };
  if (spec.step.count() <= 0 || spec.step > kMaxStep) bad("step_ms", "must be in (0, 1 h]");
  if (spec.horizons.empty()) bad("horizons_ms", "no horizon");
  for (const auto h : spec.horizons) {
    if (h.count() <= 0 || h.count() % spec.step.count() != 0 || h > kMaxHorizon)
      bad("horizons_ms", fmt::format("{} ms is not a positive multiple of the step up to 24 h", h.count()));
  }
  // Training, calibration and evaluation take the last horizon as the longest.
  if (!std::is_sorted(spec.horizons.begin(), spec.horizons.end()) ||
      std::adjacent_find(spec.horizons.begin(), spec.horizons.end()) != spec.horizons.end())
    bad("horizons_ms", "must be in increasing order");
  const WindowConfig& w = spec.window;
  if (w.fine_steps < 1 || w.fine_steps > 4096) bad("window.fine_steps", "must be in [1, 4096]");
  if (w.coarse_steps < 1 || w.coarse_steps > 4096) bad("window.coarse_steps", "must be in [1, 4096]");
  if (w.coarse_factor < 1 || w.coarse_factor > 100000) bad("window.coarse_factor", "must be in [1, 100000]");
  if (w.history_steps() < static_cast<std::size_t>(w.fine_steps) || w.history_steps() > 10'000'000)
    bad("window", "coarse_steps x coarse_factor must cover fine_steps and stay under 10^7 steps");
  // The outputs are laid out per channel in this gpuopt's order.
  json channels = json::array();
  for (const ChannelInfo& info : all_channels()) channels.push_back(info.name);
  if (meta.at("channels") != channels) {
    bad("channels", fmt::format("{} differs from this gpuopt's channels {}", meta.at("channels").dump(),
                                channels.dump()));
  }
}

}  // namespace

std::vector<std::chrono::milliseconds> parse_horizons(const std::string& text,
                                                      std::chrono::milliseconds step) {
  std::vector<std::chrono::milliseconds> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::chrono::milliseconds h = parse_duration(item);
    if (h.count() <= 0) throw UsageError(fmt::format("horizon '{}' must be positive", item));
    if (h > kMaxHorizon) throw UsageError(fmt::format("horizon '{}' is longer than 24h", item));
    if (h.count() % step.count() != 0) {
      throw UsageError(
          fmt::format("horizon '{}' is not a multiple of the step {}", item, format_duration(step)));
    }
    if (std::find(out.begin(), out.end(), h) != out.end())
      throw UsageError(fmt::format("horizon '{}' is given twice", item));
    out.push_back(h);
    start = comma + 1;
  }
  if (out.empty()) throw UsageError("no horizon given");
  std::sort(out.begin(), out.end());  // the last horizon is the longest everywhere
  return out;
}

void Forecaster::save(ml::ModelFile& file) const {
  json horizons = json::array();
  for (const auto h : spec_.horizons) horizons.push_back(h.count());
  json channels = json::array();
  for (const ChannelInfo& info : all_channels()) channels.push_back(info.name);
  file.meta["domain"] = "forecast";
  file.meta["model"] = name();
  file.meta["step_ms"] = spec_.step.count();
  file.meta["horizons_ms"] = horizons;
  file.meta["channels"] = channels;
  file.meta["window"] = {{"fine_steps", spec_.window.fine_steps},
                         {"coarse_steps", spec_.window.coarse_steps},
                         {"coarse_factor", spec_.window.coarse_factor}};
  file.meta["calibration"] = {{"level", calibration_.level},
                              {"half_width", floats_to_json(calibration_.half_width)},
                              {"half_width_at_floor", floats_to_json(calibration_.half_width_at_floor)}};
  save_state(file);
}

void Forecaster::load(const ml::ModelFile& file, const std::string& name) {
  try {
    const json& cal = file.meta.at("calibration");
    calibration_.level = cal.at("level").get<double>();
    calibration_.half_width = floats_from_json(cal.at("half_width"));
    // Files from before the floor's own widths have none: half_width serves both.
    calibration_.half_width_at_floor = cal.contains("half_width_at_floor")
                                           ? floats_from_json(cal.at("half_width_at_floor"))
                                           : std::vector<float>{};
  } catch (const json::exception& e) {
    throw ParseError(name, 0, "calibration", e.what());
  }
  if (!(calibration_.level > 0 && calibration_.level < 1))
    throw ParseError(name, 0, "calibration.level",
                     fmt::format("{:g} is not a coverage in (0, 1)", calibration_.level));
  const auto check_widths = [&](const std::string& field, const std::vector<float>& widths) {
    if (!widths.empty() && widths.size() != spec_.outputs()) {
      throw ParseError(name, 0, field, "one half-width per channel and horizon expected");
    }
    for (const float w : widths) {
      if (w < 0 || std::isinf(w))  // NaN: a channel x horizon without calibration data
        throw ParseError(name, 0, field, fmt::format("{:g} is not a width (>= 0)", w));
    }
  };
  check_widths("calibration.half_width", calibration_.half_width);
  check_widths("calibration.half_width_at_floor", calibration_.half_width_at_floor);
  if (!calibration_.half_width_at_floor.empty() && calibration_.half_width.empty()) {
    throw ParseError(name, 0, "calibration.half_width_at_floor", "given without half_width");
  }
  load_state(file, name);
}

std::unique_ptr<Forecaster> make_forecaster(std::string_view name, const ForecastSpec& spec) {
  if (name == "persistence") return make_persistence(spec);
  if (name == "moving-average") return make_moving_average(spec);
  if (name == "phase") return make_phase_rule(spec);
  if (name == "tree:xgboost") return make_tree_forecaster(spec);
  if (name == "seq:gru" || name == "seq:transformer" || name == "seq:bigru-transformer") {
    return make_seq_forecaster(name.substr(4), spec);
  }
  throw UsageError(
      fmt::format("unknown forecast model '{}' (valid: {})", name, fmt::join(forecaster_names(), ", ")));
}

std::vector<std::string> forecaster_names() {
  return {"persistence",     "moving-average",       "phase", "tree:xgboost", "seq:gru",
          "seq:transformer", "seq:bigru-transformer"};
}

std::unique_ptr<Forecaster> load_forecaster(const ml::ModelFile& file, const std::string& name) {
  ml::require_domain(file, "forecast", name);
  ForecastSpec spec;
  std::string model;
  try {
    spec = spec_from_meta(file.meta);
    model = file.meta.at("model").get<std::string>();
    check_spec(spec, file.meta, name);
  } catch (const json::exception& e) {
    throw ParseError(name, 0, "meta", e.what());
  }
  auto forecaster = make_forecaster(model, spec);
  forecaster->load(file, name);
  return forecaster;
}

std::unique_ptr<Forecaster> load_forecaster_file(const std::string& path) {
  return load_forecaster(ml::load_model_file(path), path);
}

}  // namespace gpuopt::forecast
