// Collects the points of many curves while a file is read, then sorts each curve by knob and
// averages repeated settings. Internal to the power readers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gpuopt/power/curve.hpp"

namespace gpuopt::power {

class CurveSet {
 public:
  // Adds `point` to the curve with `key`, created from `prototype` (points ignored) when new.
  void add(const std::string& key, const JobCurve& prototype, const OperatingPoint& point);
  // The curves in first-seen order, each sorted with duplicates averaged.
  std::vector<JobCurve> finish();

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<JobCurve> curves_;
};

}  // namespace gpuopt::power
