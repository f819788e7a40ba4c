#include "lag_features.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace gpuopt::forecast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::array<std::size_t, 6> kLags{1, 3, 10, 30, 100, 300};
constexpr std::array<std::size_t, 4> kMeans{10, 50, 300, 1200};
constexpr std::array<std::size_t, 3> kSpreads{10, 50, 300};
constexpr std::size_t kExtremes = 300;

struct Stats {
  double sum = 0;
  double sq = 0;
  std::size_t n = 0;
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
};

}  // namespace

void lag_features(const WindowRef& w, const ChannelValues& last, const ChannelValues& scales,
                  std::span<float> out) {
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    float* f = out.data() + c * kLagFeaturesPerChannel;
    const float s = scales[c];
    if (std::isnan(s) || std::isnan(last[c])) {
      std::fill(f, f + kLagFeaturesPerChannel, kNaN);
      continue;
    }
    const auto& x = w.history.values[c];
    const float l = last[c];
    *f++ = l / s;
    for (const std::size_t lag : kLags) {
      const bool inside = w.end >= lag && !std::isnan(x[w.end - lag]);
      *f++ = inside ? (l - x[w.end - lag]) / s : kNaN;
    }
    // One backward pass fills the nested trailing windows (10 ⊂ 50 ⊂ 300 ⊂ 1200 steps).
    Stats st;
    std::array<Stats, kMeans.size()> at_mean{};
    std::array<Stats, kSpreads.size()> at_spread{};
    Stats at_extremes;
    const std::size_t longest = std::min(kMeans.back(), w.end + 1);
    for (std::size_t k = 0; k < longest; ++k) {
      const float v = x[w.end - k];
      if (!std::isnan(v)) {
        st.sum += v;
        st.sq += static_cast<double>(v) * v;
        ++st.n;
        st.min = std::min(st.min, v);
        st.max = std::max(st.max, v);
      }
      for (std::size_t i = 0; i < kMeans.size(); ++i) {
        if (k + 1 == kMeans[i]) at_mean[i] = st;
      }
      for (std::size_t i = 0; i < kSpreads.size(); ++i) {
        if (k + 1 == kSpreads[i]) at_spread[i] = st;
      }
      if (k + 1 == kExtremes) at_extremes = st;
    }
    // Windows longer than the history use all of it.
    for (auto& m : at_mean) m = m.n == 0 ? st : m;
    for (auto& m : at_spread) m = m.n == 0 ? st : m;
    if (at_extremes.n == 0) at_extremes = st;
    for (const Stats& m : at_mean) *f++ = m.n ? (static_cast<float>(m.sum / m.n) - l) / s : kNaN;
    for (const Stats& m : at_spread) {
      const double mean = m.n ? m.sum / m.n : 0;
      *f++ = m.n ? static_cast<float>(std::sqrt(std::max(0.0, m.sq / m.n - mean * mean))) / s : kNaN;
    }
    *f++ = at_extremes.n ? (at_extremes.max - l) / s : kNaN;
    *f++ = at_extremes.n ? (at_extremes.min - l) / s : kNaN;
  }
}

}  // namespace gpuopt::forecast
