#include "http_client.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>
#include <httplib.h>

#include "gpuopt/error.hpp"

namespace gpuopt::server {
namespace {

// httplib's own names ("Connection", "Read") say little to a person.
std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (refused, or the host is unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "the connection broke or timed out while reading the answer";
    case httplib::Error::Write:
      return "the connection broke while sending the request";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return "TLS failed (gpuopt speaks plain http)";
    default:
      return httplib::to_string(error);
  }
}

int parse_port(std::string_view text, std::string_view url) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    throw UsageError(fmt::format("invalid URL '{}': port '{}' is not 1..65535", url, text));
  }
  return port;
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    throw UsageError(
        fmt::format("invalid URL '{}': expected http://host[:port][/path] (https is not supported)", url));
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    throw UsageError(fmt::format("invalid URL '{}': no query or fragment allowed", url));
  }
  HttpUrl out;
  std::string_view rest = url.substr(kScheme.size());
  while (rest.ends_with('/')) rest.remove_suffix(1);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.base_path = std::string(rest.substr(slash));

  std::size_t port_colon = std::string_view::npos;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw UsageError(fmt::format("invalid URL '{}': unclosed '['", url));
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw UsageError(fmt::format("invalid URL '{}': bad host", url));
      port_colon = close + 1;
    }
  } else {
    port_colon = authority.find(':');
    out.host = std::string(authority.substr(0, port_colon));
  }
  if (out.host.empty()) throw UsageError(fmt::format("invalid URL '{}': no host", url));
  if (port_colon != std::string_view::npos) out.port = parse_port(authority.substr(port_colon + 1), url);
  out.text = std::string(kScheme) + std::string(rest);
  return out;
}

HttpGetResult http_get(const HttpUrl& base, const std::string& path,
                       const std::multimap<std::string, std::string>& params,
                       std::chrono::milliseconds timeout) {
  httplib::Client client(base.host, base.port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  const httplib::Params query(params.begin(), params.end());
  // The socket timeouts bound each read; a server trickling its body would pass them all. The
  // progress callback (called as the body arrives) ends the request at the overall deadline.
  // (cpp-httplib 0.11's Get with Params drops the callback when they are empty.)
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool late = false;
  const httplib::Progress on_progress = [&](std::uint64_t, std::uint64_t) {
    late = std::chrono::steady_clock::now() > deadline;
    return !late;
  };
  const std::string target = base.base_path + path;
  const httplib::Result result = query.empty() ? client.Get(target, httplib::Headers{}, on_progress)
                                               : client.Get(target, query, httplib::Headers{}, on_progress);
  if (!result && late) {
    throw RemoteError(fmt::format("{}{}: the answer took longer than the timeout ({} ms)", base.text, path,
                                  timeout.count()));
  }
  if (!result) {
    throw RemoteError(fmt::format("{}{}: no answer: {}", base.text, path, describe(result.error())));
  }
  return HttpGetResult{result->status, result->body, result->get_header_value("Content-Type"),
                       result->get_header_value("Location")};
}

}  // namespace gpuopt::server
