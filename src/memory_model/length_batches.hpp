// Internal: how the sequence models cut their training set into optimizer steps. Sequences of
// similar length share a step, so a padded batch costs little more than its real tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace gpuopt::memory {

// Indices 0..lengths.size()-1 sorted by length (equal lengths in random order), cut into batches
// of `per_batch` (the last may be smaller), the batches in random order. Every index appears in
// exactly one batch; the result depends only on the lengths and the state of `rng`.
// Throws std::invalid_argument when per_batch is 0.
std::vector<std::vector<std::size_t>> length_batches(std::span<const std::int64_t> lengths,
                                                     std::size_t per_batch, std::mt19937_64& rng);

}  // namespace gpuopt::memory
