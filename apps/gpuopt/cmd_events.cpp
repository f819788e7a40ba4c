// `gpuopt events`: the store's event log (imports, collection starts, anomalies found by the agent).
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuopt/csv_field.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"

namespace gpuopt::cli {
namespace {

struct EventsArgs {
  std::string gpu;
  std::string since;
  std::string until;
  std::string kind;
  bool json = false;
  std::string format = "table";
};

// An event without a device of its own (a multi-GPU import) that lists `id` in details.device_ids.
bool lists_device(const Event& e, DeviceId id) {
  if (e.device) return false;
  const auto details = nlohmann::json::parse(e.details_json, nullptr, false);
  if (details.is_discarded() || !details.is_object()) return false;
  const auto ids = details.find("device_ids");
  if (ids == details.end() || !ids->is_array()) return false;
  for (const auto& v : *ids) {
    if (v.is_number_integer() && v.get<DeviceId>() == id) return true;
  }
  return false;
}

nlohmann::ordered_json details_or_text(const std::string& details) {
  const auto parsed = nlohmann::ordered_json::parse(details, nullptr, false);
  return parsed.is_discarded() ? nlohmann::ordered_json(details) : parsed;
}

void run_events(const EventsArgs& args, const GlobalOptions& global) {
  const Store store = Store::open(resolve_db_path(global), Store::Mode::read_only);
  const EpochMs now = now_ms();
  const EpochMs from = args.since.empty() ? 0 : time_option("--since", args.since, now);
  const EpochMs to =
      args.until.empty() ? std::numeric_limits<EpochMs>::max() : time_option("--until", args.until, now);
  if (from >= to) {
    throw UsageError(args.since.empty() ? fmt::format("--until {} leaves nothing to list", format_iso8601(to))
                                        : fmt::format("--since {} is not before --until {}",
                                                      format_iso8601(from), format_iso8601(to)));
  }
  std::vector<Event> events = store.events(from, to, std::nullopt, args.kind);
  if (!args.gpu.empty()) {
    const DeviceId id = store.find_device(args.gpu).id;
    std::erase_if(events, [&](const Event& e) { return e.device != id && !lists_device(e, id); });
  }
  std::map<DeviceId, StoredDevice> devices;
  for (const StoredDevice& d : store.devices()) devices.emplace(d.id, d);
  const auto device_label = [&](const std::optional<DeviceId>& id) -> std::string {
    if (!id) return "-";
    const auto it = devices.find(*id);
    return it == devices.end() ? fmt::format("#{}", *id)
                               : fmt::format("#{} gpu{}", *id, it->second.info.index);
  };
  const std::string format = args.json ? "json" : args.format;
  if (format == "csv") {
    fmt::print("id,time,device_id,uuid,kind,severity,message,details\n");
    for (const Event& e : events) {
      const auto it = e.device ? devices.find(*e.device) : devices.end();
      fmt::print("{},{},{},{},{},{},{},{}\n", e.id, format_iso8601(e.time_ms),
                 e.device ? std::to_string(*e.device) : "",
                 it == devices.end() ? "" : csv_field(it->second.info.uuid), csv_field(e.kind),
                 csv_field(e.severity), csv_field(e.message), csv_field(e.details_json));
    }
    return;
  }
  if (format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const Event& e : events) {
      const auto it = e.device ? devices.find(*e.device) : devices.end();
      out.push_back({{"id", e.id},
                     {"time", format_iso8601(e.time_ms)},
                     {"device_id", e.device ? nlohmann::ordered_json(*e.device) : nlohmann::ordered_json()},
                     {"uuid", it == devices.end() ? nlohmann::ordered_json()
                                                  : nlohmann::ordered_json(it->second.info.uuid)},
                     {"kind", e.kind},
                     {"severity", e.severity},
                     {"message", e.message},
                     {"details", details_or_text(e.details_json)}});
    }
    std::puts(nlohmann::ordered_json{{"events", out}}.dump(2).c_str());
    return;
  }
  if (events.empty()) {
    std::fputs("no events\n", stderr);
    return;
  }
  for (const Event& e : events) {
    fmt::print("{}  {:<10} {:<28} {:<7}  {}\n", format_iso8601(e.time_ms), device_label(e.device), e.kind,
               e.severity, e.message);
  }
}

}  // namespace

void register_events(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<EventsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "events", "List the store's events: anomalies found by `gpuopt serve`, imports, collection starts");
  cmd->fallthrough();
  cmd->footer(
      "\nAnomaly kinds: anomaly.forecast_deviation, anomaly.collapse, anomaly.clock_drop, "
      "anomaly.stuck_util,\n"
      "anomaly.memory_growth (docs/forecast.md). The store is opened read-only.\n\n"
      "Examples:\n"
      "  gpuopt events --since -1h\n"
      "  gpuopt events --gpu 0 --kind anomaly. --json\n");
  cmd->add_option("--gpu", args->gpu,
                  "Only this device's events (and multi-GPU imports that include it): store id (#3), UUID or "
                  "unique prefix, or GPU index");
  cmd->add_option("--since", args->since,
                  "Start (inclusive): ISO time, epoch s/ms, 'now' or '-1h'; default: all");
  cmd->add_option("--until", args->until, "End (exclusive), same forms; default: now and later");
  cmd->add_option("--kind", args->kind,
                  "Only kinds starting with this text, e.g. anomaly. or anomaly.collapse");
  cmd->add_option("--format", args->format,
                  "table, csv (id,time,device_id,uuid,kind,severity,message,details) or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_flag(
      "--json", args->json,
      "Same as --format json: {\"events\":[{id, time, device_id, uuid, kind, severity, message, details}]}");
  cmd->callback([args, &global] { run_events(*args, global); });
}

}  // namespace gpuopt::cli
