#include "gpuopt/error.hpp"

#include <utility>

namespace gpuopt {
namespace {

std::string compose(const std::string& file, std::size_t line, const std::string& field,
                    const std::string& reason) {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!field.empty()) out += "field '" + field + "': ";
  out += reason;
  return out;
}

}  // namespace

ParseError::ParseError(std::string file, std::size_t line, std::string field,
                       const std::string& reason)
    : Error(compose(file, line, field, reason)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      reason_(reason) {}

}  // namespace gpuopt
