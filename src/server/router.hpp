// Routes requests to handlers by exact path and method. Endpoint groups register themselves
// (register_json_api, later ones for POST endpoints), so adding one touches no other group.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http_types.hpp"

namespace gpuopt::server {

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

class Router {
 public:
  // `method` is "GET", "POST", ...; a GET route also answers HEAD. Registering the same method
  // and path twice throws std::logic_error (a programming error).
  void add(std::string method, std::string path, std::string summary, RouteHandler handler);

  // Never throws. Unknown path: 404; known path, other method: 405 with an Allow header.
  // Errors a handler throws become one-line JSON errors: BadParameter/UsageError 400,
  // StoreError 503, RemoteError 502, any other exception 500.
  HttpResponse dispatch(const HttpRequest& request) const;

  // The label a request is counted under: its path if some route has it, else "other"
  // (so unknown paths cannot grow the metric's cardinality).
  std::string route_label(const std::string& path) const;

  struct RouteInfo {
    std::string method;
    std::string path;
    std::string summary;  // one line for the index page
  };
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    RouteInfo info;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace gpuopt::server
