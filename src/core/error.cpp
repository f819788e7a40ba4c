#include "gpuopt/error.hpp"

#include <utility>

#include <fmt/format.h>

namespace gpuopt {
namespace {

std::string compose(const std::string& file, std::size_t line, const std::string& field,
                    const std::string& reason) {
  std::string where;
  if (!file.empty()) where = line > 0 ? fmt::format("{}:{}: ", file, line) : fmt::format("{}: ", file);
  if (!field.empty()) where += fmt::format("field '{}': ", field);
  return where + reason;
}

}  // namespace

ParseError::ParseError(std::string file, std::size_t line, std::string field, const std::string& reason)
    : Error(compose(file, line, field, reason)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      reason_(reason) {}

}  // namespace gpuopt
