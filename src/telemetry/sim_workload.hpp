// The simulated GPU's workload: a seeded schedule of idle periods, training jobs (with
// checkpoint dips) and inference services (request bursts), described in docs/sim-model.md.
#pragma once

#include <cstdint>
#include <deque>

#include "sim_model.hpp"
#include "sim_random.hpp"

namespace gpuopt::sim {

// Not thread-safe. The schedule depends only on the seed and the GPU's memory size.
class Workload {
 public:
  Workload(std::uint64_t seed, const GpuParams& params);

  // What the GPU is asked to do `t_s` seconds after the schedule began. `t_s` must not
  // decrease from one call to the next (segments already passed are forgotten).
  const Demand& at(double t_s);

 private:
  struct Segment {
    double end_s;  // the segment lasts from the previous segment's end to this
    Demand demand;
  };

  void add(double duration_s, const Demand& demand);
  void add_idle(double duration_s);
  void add_training();
  void add_inference();
  void add_next_phase();

  const GpuParams* params_;
  Random random_;
  std::deque<Segment> segments_;
  double end_s_ = 0;  // end of the last segment generated
};

}  // namespace gpuopt::sim
