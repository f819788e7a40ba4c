// Plain request/response types of gpuopt's HTTP layer, so handlers can be written and tested
// without the HTTP library (http_server.cpp translates to and from it).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuopt/error.hpp"

namespace gpuopt::server {

struct HttpRequest {
  std::string method = "GET";                      // "GET", "HEAD", "POST", ...
  std::string path = "/";                          // without the query string
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// A query parameter that is missing, repeated, unknown or malformed: answered with 400 and a
// JSON error naming the parameter.
class BadParameter : public UsageError {
 public:
  BadParameter(std::string parameter, const std::string& reason);
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

// `json` (already serialized) with the given status.
HttpResponse json_response(int status, std::string json);

// {"error": message[, "parameter": parameter]} with the given status.
HttpResponse error_response(int status, std::string_view message, std::string_view parameter = "");

// The value of a parameter given at most once; throws BadParameter if it is repeated or holds
// control characters (NUL, newline, ...), which no valid value has.
std::optional<std::string> single_param(const HttpRequest& request, const std::string& name);

// Throws BadParameter naming the first parameter not in `allowed`.
void reject_unknown_params(const HttpRequest& request, std::initializer_list<std::string_view> allowed);

}  // namespace gpuopt::server
