#include "router.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace gpuopt::server {
namespace {

HttpResponse run_handler(const RouteHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (const BadParameter& e) {
    return error_response(400, e.what(), e.parameter());
  } catch (const UsageError& e) {
    return error_response(400, e.what());
  } catch (const StoreError& e) {
    return error_response(503, e.what());
  } catch (const RemoteError& e) {
    return error_response(502, e.what());
  } catch (const std::exception& e) {
    return error_response(500, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return error_response(500, "internal error");
  }
}

}  // namespace

void Router::add(std::string method, std::string path, std::string summary, RouteHandler handler) {
  for (const Route& r : routes_) {
    if (r.info.method == method && r.info.path == path) {
      throw std::logic_error(fmt::format("route {} {} registered twice", method, path));
    }
  }
  routes_.push_back(Route{{std::move(method), std::move(path), std::move(summary)}, std::move(handler)});
}

HttpResponse Router::dispatch(const HttpRequest& request) const {
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  std::string allowed;
  for (const Route& r : routes_) {
    if (r.info.path != request.path) continue;
    if (r.info.method == method) return run_handler(r.handler, request);
    allowed += (allowed.empty() ? "" : ", ") + r.info.method;
    if (r.info.method == "GET") allowed += ", HEAD";
  }
  if (allowed.empty()) {
    return error_response(404, fmt::format("no such endpoint: {} (see / for the list)", request.path));
  }
  HttpResponse response = error_response(
      405, fmt::format("method {} not allowed on {} (allowed: {})", request.method, request.path, allowed));
  response.headers.emplace_back("Allow", allowed);
  return response;
}

std::string Router::route_label(const std::string& path) const {
  for (const Route& r : routes_) {
    if (r.info.path == path) return path;
  }
  return "other";
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.push_back(r.info);
  return out;
}

}  // namespace gpuopt::server
