// Serves a Router over HTTP/1.1 (cpp-httplib; this file pair and http_client are the only users
// of the library). Hostile input is answered, never fatal: oversized bodies 413, oversized
// request lines 414, malformed requests 400, unknown paths 404, wrong methods 405, each with a
// one-line JSON error. Bodies must come with Content-Length (chunked: 411) and not form-encoded
// (415), see refuse_body in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "router.hpp"

namespace gpuopt::server {

struct HttpServerOptions {
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;  // a task JSON of a large model is ~200 KiB
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};
  std::chrono::seconds keep_alive_timeout{2};  // also bounds how long stop() waits for idle clients
  // Connections served at once, each on its own thread, started when a connection finds none idle
  // and kept. A client that trickles its request in holds one until it ends (the read timeout is
  // per read, not per request): this many slow clients starve the others. 512 keeps the sockets
  // under select()'s limit of 1024 descriptors.
  std::size_t max_connections = 512;
};

// Not copyable. bind() and start() from one thread; the router's handlers then run on the
// server's worker threads (so they must be thread-safe), as does `on_request`.
class HttpServer {
 public:
  // `on_request(route_label)` is called once per routed request (see Router::route_label).
  HttpServer(const Router& router, std::function<void(const std::string&)> on_request,
             const HttpServerOptions& options = {});
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on host:port (port 0 = any free port); returns the port. Connections
  // are queued from then on. Throws UsageError naming the address when it cannot be bound
  // (in use by any process, or not an address of this machine).
  int bind(const std::string& host, int port);

  // Starts answering on a background thread (after bind); returns once it accepts.
  void start();

  // Stops accepting, finishes the requests under way and joins. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuopt::server
