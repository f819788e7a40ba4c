#include "length_batches.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace gpuopt::memory {

std::vector<std::vector<std::size_t>> length_batches(std::span<const std::int64_t> lengths,
                                                     std::size_t per_batch, std::mt19937_64& rng) {
  if (per_batch == 0) throw std::invalid_argument("length_batches: per_batch must be positive");
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += per_batch) {
    const std::size_t end = std::min(order.size(), start + per_batch);
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

}  // namespace gpuopt::memory
