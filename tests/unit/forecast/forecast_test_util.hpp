// Synthetic series and temporary files for the forecast tests.
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "gpuopt/forecast/series.hpp"
#include "gpuopt/forecast/window.hpp"

namespace gpuopt::forecast::test {

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A segment of `steps` 100 ms steps; fill(channel, step) gives each value (NaN = absent).
inline Segment make_segment(std::size_t steps, const std::function<float(Channel, std::size_t)>& fill) {
  Segment s;
  s.start_ms = 1'700'000'000'000;
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    for (std::size_t k = 0; k < steps; ++k) s.values[c].push_back(fill(static_cast<Channel>(c), k));
  }
  return s;
}

inline History history(const Segment& s) {
  History h;
  for (std::size_t c = 0; c < kChannelCount; ++c) h.values[c] = s.values[c];
  return h;
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("gpuopt-forecast-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace gpuopt::forecast::test
