#pragma once

#include <string_view>

namespace gpuopt {

std::string_view version();  // "0.1.0"

}  // namespace gpuopt
