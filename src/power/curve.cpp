#include <algorithm>

#include <fmt/format.h>

#include "curve_set.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/power/curve.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::power {

std::string_view to_string(Knob knob) {
  return knob == Knob::power_limit_w ? "power_limit_w" : "sm_clock_mhz";
}

std::string JobCurve::key() const {
  std::string out = gpu + "/" + workload;
  if (batch_size > 0) out += fmt::format("/bs{}", batch_size);
  if (!optimizer.empty()) out += "/" + optimizer;
  return out;
}

void CurveSet::add(const std::string& key, const JobCurve& prototype, const OperatingPoint& point,
                   std::size_t line) {
  const auto check = [&](double value, double max, std::string_view field, std::string_view unit) {
    if (value > 0 && value <= max) return;
    throw ParseError(prototype.source, line, std::string(field),
                     fmt::format("{:g} {} is implausible for a GPU run (must be in (0, {:g}] {}; wrong unit?)", value,
                                 unit, max, unit));
  };
  if (prototype.knob == Knob::power_limit_w) {
    check(point.knob, kMaxGpuPowerW, "power_limit", "W");
  } else {
    check(point.knob, kMaxGpuClockMhz, "sm_clock", "MHz");
  }
  check(point.time_s, 1e8, "time", "s");
  check(point.avg_power_w, kMaxGpuPowerW, "average_power", "W");
  auto [it, inserted] = index_.emplace(key, curves_.size());
  if (inserted) {
    curves_.push_back(prototype);
    curves_.back().points.clear();
  }
  curves_[it->second].points.push_back(point);
}

std::vector<JobCurve> CurveSet::finish() {
  for (JobCurve& curve : curves_) {
    auto& points = curve.points;
    std::stable_sort(points.begin(), points.end(),
                     [](const OperatingPoint& a, const OperatingPoint& b) { return a.knob < b.knob; });
    std::vector<OperatingPoint> merged;
    std::size_t i = 0;
    while (i < points.size()) {
      std::size_t j = i;
      OperatingPoint sum{points[i].knob, 0, 0};
      for (; j < points.size() && points[j].knob == points[i].knob; ++j) {
        sum.time_s += points[j].time_s;
        sum.avg_power_w += points[j].avg_power_w;
      }
      const auto n = static_cast<double>(j - i);
      merged.push_back({sum.knob, sum.time_s / n, sum.avg_power_w / n});
      i = j;
    }
    points = std::move(merged);
  }
  index_.clear();
  return std::move(curves_);
}

}  // namespace gpuopt::power
