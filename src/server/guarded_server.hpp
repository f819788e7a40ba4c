// Internal to http_server.cpp: how cpp-httplib serves one connection, with two guards the library
// lacks. httplib 0.11 bounds each read of a request (the read timeout) but not the whole request,
// and serves any number of connections from one client, so a client trickling requests in over
// many connections could hold every worker thread. GuardedServer serves a connection as
// httplib's own loop does (keep-alive up to the keep-alive timeout and count, one request at a
// time, no pipelining) and adds:
//  - a deadline per request: its line, headers and body must arrive within `request_timeout` of
//    its first byte; a late request is answered 408 and its connection closed;
//  - a cap per client address: a connection beyond `max_per_client` open ones from the same address
//    is answered 503 at once and closed.
// Both answers are the agent's one-line JSON errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include <httplib.h>

namespace gpuopt::server {

class GuardedServer final : public httplib::Server {
 public:
  GuardedServer(std::chrono::milliseconds request_timeout, std::size_t max_per_client);

 private:
  // httplib's accept loop calls this (a private virtual of httplib::Server, overridden here) on a
  // worker thread for every accepted socket; it serves the connection and closes the socket.
  bool process_and_close_socket(socket_t sock) override;

  // Counts the connection of `address` in; false (nothing counted) when it has its share already.
  bool admit(const std::string& address);
  void release(const std::string& address);

  const std::chrono::milliseconds request_timeout_;
  const std::size_t max_per_client_;
  std::mutex mutex_;
  std::map<std::string, std::size_t> open_;  // connections per client address
};

}  // namespace gpuopt::server
