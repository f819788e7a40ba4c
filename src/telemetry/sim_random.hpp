// The simulator's random numbers: std::mt19937_64 (fully specified by the standard) with our
// own uniform mapping, so a seed gives the same numbers with every standard library.
#pragma once

#include <cstdint>
#include <random>

namespace gpuopt::sim {

// SplitMix64 step: turns related seeds (seed, seed + 1, ...) into unrelated ones.
inline std::uint64_t mix_seed(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(mix_seed(seed)) {}

  // Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * unit;
  }

  // True with probability p.
  bool chance(double p) { return uniform(0.0, 1.0) < p; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace gpuopt::sim
