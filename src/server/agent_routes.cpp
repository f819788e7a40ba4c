#include "agent_routes.hpp"

#include <fmt/format.h>

#include "gpuopt/version.hpp"
#include "metrics_exposition.hpp"

namespace gpuopt::server {
namespace {

HttpResponse index_page(const Router& router, const LiveSnapshot& snapshot) {
  HttpResponse response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = fmt::format("gpuopt {} agent on {} (source {}{})\n\n", version(), snapshot.hostname,
                              snapshot.source.name, snapshot.source.simulated ? ", simulated" : "");
  for (const Router::RouteInfo& route : router.routes()) {
    response.body += fmt::format("{:<6} {:<18} {}\n", route.method, route.path, route.summary);
  }
  return response;
}

}  // namespace

void register_agent_routes(Router& router, const LiveState& state, const ApiOptions& options,
                           std::function<void(std::string&)> extra_metrics) {
  router.add("GET", "/metrics", "Prometheus metrics, dcgm-exporter names and labels (text format 0.0.4)",
             [&state, extra_metrics = std::move(extra_metrics)](const HttpRequest&) {
               HttpResponse response;
               response.content_type = std::string(kMetricsContentType);
               response.body = render_metrics(state.snapshot());
               if (extra_metrics) extra_metrics(response.body);
               return response;
             });
  register_json_api(router, state, options);
  router.add("GET", "/", "this list",
             [&router, &state](const HttpRequest&) { return index_page(router, state.snapshot()); });
}

}  // namespace gpuopt::server
