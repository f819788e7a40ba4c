// Measured performance/power curves of one job on one GPU: the input of the trace-driven GPU
// model (docs/power.md). A curve holds, for each measured setting of one knob (power limit or
// SM clock), the time per unit of work and the average power drawn meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpuopt::power {

// What a curve varies.
enum class Knob { power_limit_w, sm_clock_mhz };

std::string_view to_string(Knob knob);  // "power_limit_w", "sm_clock_mhz"

// One measured setting.
struct OperatingPoint {
  double knob = 0;         // W (power limit) or MHz (SM clock)
  double time_s = 0;       // per unit of work (JobCurve::unit)
  double avg_power_w = 0;  // average power over that time, per GPU
};

struct JobCurve {
  std::string source;     // file the curve was read from
  std::string gpu;        // GPU type, e.g. "v100", "a40" (lower case)
  std::string workload;   // "imagenet/resnet50", "gpt3-2.7b", "BlackScholes/input000"
  std::string optimizer;  // training optimizer ("adadelta"); "" when not applicable
  int batch_size = 0;     // 0 when not applicable
  Knob knob = Knob::power_limit_w;
  std::string unit;                      // what time_s measures: "epoch", "iteration", "window", "run"
  std::int64_t iterations_per_unit = 1;  // training iterations (or kernel runs) per unit
  double units_per_job = 0;              // length of the whole job in units; 0 = unknown
  std::vector<OperatingPoint> points;    // ascending knob, no duplicates, at least one

  double max_knob() const { return points.back().knob; }
  double min_knob() const { return points.front().knob; }
  // Identity for tables and JSON: "v100/imagenet/resnet50/bs128/adadelta".
  std::string key() const;
};

}  // namespace gpuopt::power
