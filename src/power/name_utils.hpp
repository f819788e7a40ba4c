// File-name helpers of the power readers. Internal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpuopt::power {

std::vector<std::string> split_name(std::string_view text, char separator);

// A GPU name as the data sets spell it ("A100", "a100_sxm", "V100") -> its family in lower
// case ("a100", "v100"), so one GPU type has one name across data sets.
std::string gpu_family(std::string_view name);

}  // namespace gpuopt::power
