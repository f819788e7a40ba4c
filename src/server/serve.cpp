// run_serve: wires the sampler thread, the live state, the store and the HTTP server together.
#include <algorithm>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent_module.hpp"
#include "agent_routes.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/host.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/store_sink.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/units.hpp"
#include "http_server.hpp"
#include "live_state.hpp"
#include "timed_source.hpp"

namespace gpuopt {
namespace {

using namespace std::chrono_literals;

constexpr auto kRetentionEvery = std::chrono::hours(1);
constexpr auto kStopPoll = 50ms;

std::chrono::milliseconds stale_after(const ServeOptions& options) {
  if (options.stale_after.count() > 0) return options.stale_after;
  return std::max<std::chrono::milliseconds>(3 * options.sampler.interval, 5s);
}

// The sampler on its own thread; the destructor stops and joins it (which flushes the sinks).
class SamplerThread {
 public:
  SamplerThread(TelemetrySource& source, std::vector<SampleSink*> sinks, const SamplerOptions& options,
                server::LiveState& state)
      : sinks_(std::move(sinks)),
        thread_([this, &source, options, &state] { run(source, options, state); }) {}
  ~SamplerThread() {
    stop_.store(true);
    thread_.join();
  }
  SamplerThread(const SamplerThread&) = delete;
  SamplerThread& operator=(const SamplerThread&) = delete;

 private:
  void run(TelemetrySource& source, const SamplerOptions& options, server::LiveState& state) {
    try {
      run_sampler(source, sinks_, options, stop_);
      if (!stop_.load()) {
        state.set_sampler_state(server::SamplerState::finished, "the source has no more samples");
        spdlog::info("source {} finished; serving its last samples until stopped", source.info().name);
      }
    } catch (const std::exception& e) {
      state.set_sampler_state(server::SamplerState::failed, e.what());
      spdlog::error("sampler stopped: {}", e.what());
    }
  }

  std::vector<SampleSink*> sinks_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Expires old samples through its own connection (the sampler thread owns the writer's).
void apply_retention(const std::string& store_path, const RetentionPolicy& policy, server::LiveState& state) {
  try {
    Store store = Store::open(store_path);
    const RetentionResult r = store.apply_retention(policy, now_ms());
    if (r.raw_deleted > 0) spdlog::info("retention: deleted {} raw samples", r.raw_deleted);
  } catch (const Error& e) {
    state.record_store_error(e.what());
    spdlog::warn("retention: {}", e.what());
  }
}

// serve.start / serve.stop in the store's event log, as `collect` records its runs; a store that
// cannot take them is reported like other store errors and the agent runs on.
void record_event(Store& store, server::LiveState& state, const std::string& kind,
                  const std::string& message) {
  Event e;
  e.time_ms = now_ms();
  e.kind = kind;
  e.severity = "info";
  e.message = message;
  e.details_json = "{}";
  try {
    store.add_event(e);
  } catch (const Error& error) {
    state.record_store_error(error.what());
    spdlog::warn("store: cannot record {}: {}", kind, error.what());
  }
}

void wait_for_stop(const ServeOptions& options, const std::atomic<bool>& stop, server::LiveState& state) {
  auto last_retention = std::chrono::steady_clock::now();
  while (!stop.load()) {
    std::this_thread::sleep_for(kStopPoll);
    if (!options.store_path.empty() && std::chrono::steady_clock::now() - last_retention >= kRetentionEvery) {
      apply_retention(options.store_path, options.retention, state);
      last_retention = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace

void run_serve(TelemetrySource& source, const ServeOptions& options, const std::atomic<bool>& stop,
               const std::function<void(const std::string& url)>& on_listening) {
  server::LiveState state(options.hostname.empty() ? local_host_name() : options.hostname);
  // Known before the first round, so /metrics and /api/v1/devices describe the GPUs at once.
  state.set_source(source.info(), source.devices());

  const server::AgentContext context{options, state, source};
  std::vector<std::unique_ptr<server::AgentModule>> modules;
  for (auto make : {server::make_memory_module, server::make_forecast_module, server::make_power_module}) {
    if (auto module = make(context)) modules.push_back(std::move(module));
  }
  server::Router router;
  for (const auto& module : modules) module->register_routes(router);
  server::register_agent_routes(router, state, server::ApiOptions{options.store_path, stale_after(options)},
                                [&modules](std::string& out) {
                                  for (const auto& module : modules) module->write_metrics(out);
                                });
  server::HttpServer http(router, [&state](const std::string& route) { state.count_request(route); });
  const int port = http.bind(options.host, options.port);

  server::TimedSource timed_source(source, state);
  server::LiveStateSink live_sink(state);
  std::vector<SampleSink*> sinks{&live_sink};
  for (const auto& module : modules) {
    if (SampleSink* sink = module->sink()) sinks.push_back(sink);
  }
  // Opened here so a bad store fails before anything starts; then used by the sampler thread only.
  std::optional<Store> store;
  std::optional<StoreSink> store_sink;
  std::optional<TolerantSink> guarded_store;  // a full disk must not take /metrics down with it
  if (!options.store_path.empty()) {
    store.emplace(Store::open(options.store_path));
    store_sink.emplace(*store, StoreSink::kSamplerFlushWait);
    guarded_store.emplace(
        *store_sink,
        TolerantSink::Hooks{.count = [&state](const Error& e) { state.record_store_error(e.what()); },
                            .warn =
                                [](std::string_view what, const Error& e) {
                                  spdlog::warn(
                                      "store: cannot {}: {} (sampling continues; see "
                                      "gpuopt_store_write_errors_total)",
                                      what, e.what());
                                }},
        /*tolerate_start=*/true);
    sinks.push_back(&*guarded_store);
    apply_retention(options.store_path, options.retention, state);
    record_event(
        *store, state, "serve.start",
        fmt::format("agent started: {} ({} GPU{}) every {}, HTTP port {}", live_origin(source.info()),
                    source.devices().size(), source.devices().size() == 1 ? "" : "s",
                    format_duration(options.sampler.interval), port));
  }

  {
    const SamplerThread sampler(timed_source, sinks, options.sampler, state);
    http.start();
    const bool ipv6 = options.host.find(':') != std::string::npos;
    const std::string host = ipv6 ? "[" + options.host + "]" : options.host;
    if (on_listening) on_listening(fmt::format("http://{}:{}", host, port));
    wait_for_stop(options, stop, state);
  }
  if (store_sink) {  // what a lock kept buffered at the sampler's last flush: wait for it now
    store_sink->set_flush_wait(Store::kDefaultBusyTimeout);
    guarded_store->flush();
    record_event(*store, state, "serve.stop",
                 fmt::format("agent stopped: {} samples stored", store_sink->samples_written()));
  }
  http.stop();
}

}  // namespace gpuopt
