// Synthetic power-limit curves with a known shape, for optimizer and model tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "gpuopt/power/curve.hpp"

namespace gpuopt::power::test {

// A job drawing `draw_w` unconstrained on a GPU with limits 100..max_w: below the draw, power
// follows the limit and time grows as (draw / limit)^steepness.
inline JobCurve synthetic_curve(const std::string& gpu, double draw_w, double steepness, double max_w = 300,
                                long iterations_per_epoch = 1000, double epochs = 20) {
  JobCurve c;
  c.source = "synthetic";
  c.gpu = gpu;
  c.workload = "synthetic/draw" + std::to_string(static_cast<int>(draw_w));
  c.unit = "epoch";
  c.iterations_per_unit = iterations_per_epoch;
  c.units_per_job = epochs;
  for (double limit = 100; limit <= max_w + 1e-9; limit += 25) {
    const double power = std::min(draw_w, 0.97 * limit) + 0.02 * limit;  // idle share grows with the limit
    const double time = 100.0 * std::pow(std::max(1.0, draw_w / (0.97 * limit)), steepness);
    c.points.push_back({limit, time, power});
  }
  return c;
}

}  // namespace gpuopt::power::test
