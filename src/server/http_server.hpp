// Serves a Router over HTTP/1.1 (cpp-httplib; this file pair, guarded_server and http_client are
// the only users of the library). Hostile input is answered, never fatal: oversized bodies 413,
// oversized request lines 414, malformed requests 400, unknown paths 404, wrong methods 405,
// requests not received within the request timeout 408, connections beyond a client's share 503,
// each with a one-line JSON error. Bodies must come with Content-Length (chunked: 411) and not
// form-encoded (415), see refuse_body in the .cpp.
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
  std::chrono::seconds read_timeout{5};                       // per read of a request
  // A request's line, headers and body must arrive within this of its first byte (408 after it):
  // without it, a client sending a byte every few seconds would hold a thread for ever. A 4 MiB
  // body needs ~140 KB/s.
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds write_timeout{5};
  std::chrono::seconds keep_alive_timeout{2};  // also bounds how long stop() waits for idle clients
  // Connections served at once, each on its own thread, started when a connection finds none idle
  // and kept. A client that trickles its request in holds one until the request timeout. 512 keeps
  // the sockets under select()'s limit of 1024 descriptors (httplib's accept loop).
  std::size_t max_connections = 512;
  // Connections one client address may hold at once; one more is answered 503 and closed, so that
  // one host cannot hold every thread. Prometheus uses one per scrape target.
  std::size_t max_connections_per_client = 64;
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
