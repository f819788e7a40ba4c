#include "training_setup.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

namespace gpuopt::memory {
namespace {

std::string normalized(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::optional<double> activation_bytes(const std::optional<std::string>& precision) {
  if (!precision) return std::nullopt;
  if (*precision == "fp64") return 8.0;
  if (*precision == "fp32" || *precision == "tf32") return 4.0;
  if (*precision == "fp16" || *precision == "bf16" || *precision == "amp") return 2.0;
  return std::nullopt;
}

std::optional<double> parameter_bytes(const std::optional<std::string>& precision) {
  if (precision == "amp") return 4.0;
  return activation_bytes(precision);
}

std::optional<double> optimizer_states(const std::optional<std::string>& optimizer) {
  if (!optimizer) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, double>, 16> kStates = {{
      {"adam", 2},
      {"adamw", 2},
      {"adamax", 2},
      {"nadam", 2},
      {"radam", 2},
      {"lamb", 2},
      {"adadelta", 2},
      {"sgd", 1},
      {"sgdm", 1},
      {"sgdmomentum", 1},
      {"nesterov", 1},
      {"rmsprop", 1},
      {"adagrad", 1},
      {"lion", 1},
      {"lars", 1},
      {"sgdnomomentum", 0},
  }};
  const std::string name = normalized(*optimizer);
  const auto it =
      std::find_if(kStates.begin(), kStates.end(), [&](const auto& e) { return e.first == name; });
  if (it == kStates.end()) return std::nullopt;
  return it->second;
}

std::optional<bool> is_training(const std::optional<std::string>& mode) {
  if (mode == "train") return true;
  if (mode == "inference") return false;
  return std::nullopt;
}

}  // namespace gpuopt::memory
