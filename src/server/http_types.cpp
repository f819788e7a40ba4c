#include "http_types.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpuopt::server {

BadParameter::BadParameter(std::string parameter, const std::string& reason)
    : UsageError(fmt::format("parameter '{}': {}", parameter, reason)), parameter_(std::move(parameter)) {}

HttpResponse json_response(int status, std::string json) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(json);
  response.body += '\n';
  return response;
}

HttpResponse error_response(int status, std::string_view message, std::string_view parameter) {
  nlohmann::json body{{"error", message}};
  if (!parameter.empty()) body["parameter"] = parameter;
  // Replace invalid UTF-8 (request paths are echoed in messages) instead of throwing.
  return json_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<std::string> single_param(const HttpRequest& request, const std::string& name) {
  const auto [first, last] = request.params.equal_range(name);
  if (first == last) return std::nullopt;
  if (std::next(first) != last) throw BadParameter(name, "given more than once");
  const std::string& value = first->second;
  const bool has_control = std::any_of(
      value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (has_control) throw BadParameter(name, "contains control characters");
  return value;
}

void reject_unknown_params(const HttpRequest& request, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : request.params) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string valid;
      for (const std::string_view a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
      throw BadParameter(name, fmt::format("unknown parameter (valid: {})", valid.empty() ? "none" : valid));
    }
  }
}

}  // namespace gpuopt::server
