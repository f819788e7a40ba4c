#include "timed_source.hpp"

#include <chrono>

namespace gpuopt::server {

std::vector<Sample> TimedSource::read(EpochMs now) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Sample> samples = inner_.read(now);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  state_.record_read_duration(took.count());
  return samples;
}

}  // namespace gpuopt::server
