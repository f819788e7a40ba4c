#include "length_batches.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace gpuopt::memory {
namespace {

TEST(LengthBatches, EveryIndexOnceInBatchesOfSimilarLength) {
  // Two length groups interleaved: 8 short (3 tokens), 8 long (128 tokens).
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 16; ++i) lengths.push_back(i % 2 == 0 ? 3 : 128);
  std::mt19937_64 rng(7);
  const auto batches = length_batches(lengths, 4, rng);
  ASSERT_EQ(batches.size(), 4u);
  std::vector<int> seen(lengths.size(), 0);
  for (const auto& batch : batches) {
    ASSERT_EQ(batch.size(), 4u);
    for (std::size_t i : batch) {
      ++seen.at(i);
      EXPECT_EQ(lengths[i], lengths[batch.front()]) << "a batch mixes short and long sequences";
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

TEST(LengthBatches, LastBatchHoldsTheRemainder) {
  const std::vector<std::int64_t> lengths = {5, 1, 4, 2, 3};
  std::mt19937_64 rng(1);
  const auto batches = length_batches(lengths, 2, rng);
  ASSERT_EQ(batches.size(), 3u);
  std::size_t total = 0;
  for (const auto& batch : batches) total += batch.size();
  EXPECT_EQ(total, lengths.size());
}

TEST(LengthBatches, OrderFollowsTheRandomState) {
  const std::vector<std::int64_t> lengths(64, 10);
  std::mt19937_64 a(1), b(1), c(2);
  EXPECT_EQ(length_batches(lengths, 8, a), length_batches(lengths, 8, b));
  EXPECT_NE(length_batches(lengths, 8, a), length_batches(lengths, 8, c));
}

TEST(LengthBatches, ZeroBatchSizeIsRefused) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(length_batches(std::vector<std::int64_t>{1, 2}, 0, rng), std::invalid_argument);
}

}  // namespace
}  // namespace gpuopt::memory
