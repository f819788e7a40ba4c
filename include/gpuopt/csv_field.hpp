// Writing CSV: one field as RFC 4180 wants it.
#pragma once

#include <string>
#include <string_view>

namespace gpuopt {

// `text` as a CSV field: unchanged, or quoted with its quotes doubled when it holds a comma, a quote
// or a line break.
std::string csv_field(std::string_view text);

}  // namespace gpuopt
