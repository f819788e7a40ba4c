// Internal: the token sequence of the sequence forecasters. Oldest first: coarse_steps bucket
// tokens (the 2-minute context), then fine_steps single-step tokens. Per token and channel:
// (value - last) / scale (the bucket mean for coarse tokens), the bucket's spread / scale,
// last / scale, and a present flag; then two flags: fine token, token has data.
#pragma once

#include <cstddef>
#include <span>

#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast {

inline constexpr std::size_t kTokenFeatures = 4 * kChannelCount + 2;

inline std::size_t token_count(const WindowConfig& config) {
  return static_cast<std::size_t>(config.coarse_steps + config.fine_steps);
}

// Writes token_count(config) * kTokenFeatures values into `out` (token-major).
void encode_tokens(const WindowRef& w, const WindowConfig& config, const ChannelValues& last,
                   const ChannelValues& scales, std::span<float> out);

}  // namespace gpuopt::forecast
