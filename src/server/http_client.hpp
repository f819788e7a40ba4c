// A minimal HTTP GET client (cpp-httplib) for talking to Prometheus and, in tests, to our own
// server. Plain http only.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace gpuopt::server {

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string base_path;  // "" or "/prefix" (no trailing slash), prepended to request paths
  std::string text;       // as given (without a trailing slash), for messages
};

// "http://host[:port][/prefix]". Throws UsageError naming the URL for anything else (https,
// missing host, bad port, query or fragment).
HttpUrl parse_http_url(std::string_view url);

struct HttpGetResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string location;  // the Location header of a redirect ("" if none)
};

// GET base.base_path + path with the query parameters (URL-encoded here). Any HTTP status is
// returned; throws RemoteError naming the URL when no answer arrives (connection refused,
// timeout, reset). `timeout` bounds each socket operation and the whole answer once its body
// starts (a server trickling its body is cut off there). Thread-safe (one connection per call).
HttpGetResult http_get(const HttpUrl& base, const std::string& path,
                       const std::multimap<std::string, std::string>& params,
                       std::chrono::milliseconds timeout);

}  // namespace gpuopt::server
