#include <array>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "optimizers.hpp"

namespace gpuopt::power {
namespace {
constexpr std::array<std::string_view, 4> kNames{"default", "oracle", "zeus-sweep", "gpuopt"};
}  // namespace

std::span<const std::string_view> optimizer_names() { return kNames; }

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, const std::vector<JobCurve>& training,
                                          Knob knob) {
  if (name == "default") return make_default_optimizer();
  if (name == "oracle") return make_oracle_optimizer();
  if (name == "zeus-sweep") return make_zeus_sweep_optimizer();
  if (name == "gpuopt") return make_gpuopt_optimizer(CurvePrior::fit(training, knob));
  throw UsageError(fmt::format("unknown optimizer '{}' (valid: {})", name, fmt::join(kNames, ", ")));
}

}  // namespace gpuopt::power
