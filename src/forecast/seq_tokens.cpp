#include "seq_tokens.hpp"

#include <algorithm>
#include <cmath>

namespace gpuopt::forecast {
namespace {

// Writes one token from steps [from, to) of the history (clipped at its start).
void write_token(const WindowRef& w, std::ptrdiff_t from, std::ptrdiff_t to, bool fine,
                 const ChannelValues& last, const ChannelValues& scales, float* out) {
  bool any = false;
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    float* f = out + 4 * c;
    std::fill(f, f + 4, 0.0F);
    if (std::isnan(scales[c]) || std::isnan(last[c])) continue;
    double sum = 0;
    double sq = 0;
    std::size_t n = 0;
    for (std::ptrdiff_t k = std::max<std::ptrdiff_t>(from, 0); k < to; ++k) {
      const float v = w.history.values[c][static_cast<std::size_t>(k)];
      if (std::isnan(v)) continue;
      sum += v;
      sq += static_cast<double>(v) * v;
      ++n;
    }
    f[2] = last[c] / scales[c];
    if (n == 0) continue;
    const double mean = sum / static_cast<double>(n);
    f[0] = static_cast<float>((mean - last[c]) / scales[c]);
    f[1] =
        static_cast<float>(std::sqrt(std::max(0.0, sq / static_cast<double>(n) - mean * mean)) / scales[c]);
    f[3] = 1;
    any = true;
  }
  out[4 * kChannelCount] = fine ? 1.0F : 0.0F;
  out[4 * kChannelCount + 1] = any ? 1.0F : 0.0F;
}

}  // namespace

void encode_tokens(const WindowRef& w, const WindowConfig& config, const ChannelValues& last,
                   const ChannelValues& scales, std::span<float> out) {
  const auto end = static_cast<std::ptrdiff_t>(w.end) + 1;  // one past the latest step
  const std::ptrdiff_t fine_from = end - config.fine_steps;
  float* token = out.data();
  for (int j = 0; j < config.coarse_steps; ++j) {
    const std::ptrdiff_t from =
        fine_from - static_cast<std::ptrdiff_t>(config.coarse_steps - j) * config.coarse_factor;
    write_token(w, from, from + config.coarse_factor, false, last, scales, token);
    token += kTokenFeatures;
  }
  for (std::ptrdiff_t k = fine_from; k < end; ++k) {
    write_token(w, k, k + 1, true, last, scales, token);
    token += kTokenFeatures;
  }
}

}  // namespace gpuopt::forecast
