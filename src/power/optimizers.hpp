// Constructors of the optimizers (one file each) for the registry in registry.cpp. Internal.
#pragma once

#include <memory>
#include <vector>

#include "gpuopt/power/optimizer.hpp"
#include "transfer_model.hpp"

namespace gpuopt::power {

std::unique_ptr<Optimizer> make_default_optimizer();
std::unique_ptr<Optimizer> make_oracle_optimizer();
std::unique_ptr<Optimizer> make_zeus_sweep_optimizer();
std::unique_ptr<Optimizer> make_gpuopt_optimizer(CurvePrior prior);

}  // namespace gpuopt::power
