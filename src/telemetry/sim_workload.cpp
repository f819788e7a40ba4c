#include "sim_workload.hpp"

#include <cmath>

namespace gpuopt::sim {

Workload::Workload(std::uint64_t seed, const GpuParams& params) : params_(&params), random_(seed) {
  // A short idle start, so that a few seconds of collection already show a job arriving.
  add_idle(random_.uniform(2, 8));
}

void Workload::add(double duration_s, const Demand& demand) {
  end_s_ += duration_s;
  segments_.push_back({end_s_, demand});
}

void Workload::add_idle(double duration_s) {
  add(duration_s, Demand{.busy = false,
                         .util = 0,
                         .mem_util = 0,
                         .intensity = 1,
                         .mem_used_mib = params_->idle_mem_used_mib});
}

void Workload::add_training() {
  const double mem_used_mib = params_->mem_total_mib * random_.uniform(0.40, 0.95);
  const double util = random_.uniform(0.85, 0.99);
  const double intensity = random_.uniform(0.85, 1.0);
  const double mem_share = random_.uniform(0.30, 0.60);
  const double checkpoint_every_s = random_.uniform(45, 180);
  const double duration_s = random_.uniform(300, 1200);

  const Demand startup{
      .busy = true, .util = 0.10, .mem_util = 0.05, .intensity = intensity, .mem_used_mib = mem_used_mib};
  const Demand compute{.busy = true,
                       .util = util,
                       .mem_util = util * mem_share,
                       .intensity = intensity,
                       .mem_used_mib = mem_used_mib};
  const Demand checkpoint{
      .busy = true, .util = 0.02, .mem_util = 0.01, .intensity = intensity, .mem_used_mib = mem_used_mib};
  add(random_.uniform(5, 20), startup);
  const auto checkpoints = static_cast<int>(std::ceil(duration_s / checkpoint_every_s));
  for (int i = 0; i < checkpoints; ++i) {
    add(checkpoint_every_s, compute);
    add(random_.uniform(3, 10), checkpoint);
  }
}

void Workload::add_inference() {
  const double mem_used_mib = params_->mem_total_mib * random_.uniform(0.50, 0.90);
  const double intensity = random_.uniform(0.50, 0.80);
  const double duration_s = random_.uniform(120, 600);
  const Demand waiting{
      .busy = true, .util = 0, .mem_util = 0, .intensity = intensity, .mem_used_mib = mem_used_mib};
  for (double done_s = 0; done_s < duration_s;) {
    const double burst_s = random_.uniform(0.5, 4);
    const double gap_s = random_.uniform(0.2, 3);
    const double util = random_.uniform(0.50, 0.95);
    add(burst_s, Demand{.busy = true,
                        .util = util,
                        .mem_util = util * random_.uniform(0.60, 0.90),
                        .intensity = intensity,
                        .mem_used_mib = mem_used_mib});
    add(gap_s, waiting);
    done_s += burst_s + gap_s;
  }
}

void Workload::add_next_phase() {
  if (random_.chance(0.5)) {
    add_training();
  } else {
    add_inference();
  }
  add_idle(random_.uniform(10, 120));
}

const Demand& Workload::at(double t_s) {
  // Generate and drop in turn, so that a long jump in time never holds many segments.
  while (true) {
    while (!segments_.empty() && segments_.front().end_s <= t_s) segments_.pop_front();
    if (!segments_.empty()) return segments_.front().demand;
    add_next_phase();
  }
}

}  // namespace gpuopt::sim
