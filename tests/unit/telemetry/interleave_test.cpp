#include <gtest/gtest.h>

#include <vector>

#include "telemetry/interleave.hpp"

namespace gpuopt::csv {
namespace {

constexpr EpochMs kStart = 1'753'575'747'000;

// `rounds` sampling rounds `period_ms` apart, each with one row per GPU `step_ms` apart.
std::vector<EpochMs> rounds_of(int gpus, int rounds, EpochMs step_ms, EpochMs period_ms = 100) {
  std::vector<EpochMs> t;
  for (int r = 0; r < rounds; ++r) {
    for (int g = 0; g < gpus; ++g) t.push_back(kStart + r * period_ms + g * step_ms);
  }
  return t;
}

TEST(Interleave, FindsTheRoundSize) {
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(8, 50, 3)), 8);
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(8, 50, 0)), 8);  // one timestamp per round
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(2, 50, 5)), 2);
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(3, 50, 6)), 3);
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(16, 20, 2, 1000)), 16);
}

TEST(Interleave, OneGpuWhenRowsAreEvenlySpaced) {
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(1, 200, 0)), 1);
  std::vector<EpochMs> jittered;
  for (int i = 0; i < 200; ++i) jittered.push_back(kStart + i * 104 + (i * 37) % 11);
  EXPECT_EQ(detect_interleaved_gpus(jittered), 1);
}

TEST(Interleave, OneGpuWhenTooFewRoundsOrRows) {
  EXPECT_EQ(detect_interleaved_gpus({}), 1);
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(4, 3, 2)), 1);  // three rounds prove nothing
  EXPECT_EQ(detect_interleaved_gpus(rounds_of(4, 5, 2)), 4);
}

TEST(Interleave, ToleratesAFewIrregularGaps) {
  auto t = rounds_of(4, 100, 2);
  for (std::size_t i = 40; i < t.size(); ++i) t[i] += 250;  // one long pause between rounds
  t[200] = t[199] + 1;                                      // one round that started early
  EXPECT_EQ(detect_interleaved_gpus(t), 4);
}

}  // namespace
}  // namespace gpuopt::csv
