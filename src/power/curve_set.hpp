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
  // Adds `point`, read on `line` of prototype.source, to the curve with `key`, created from
  // `prototype` (points ignored) when new. Throws ParseError naming the file and line for a value
  // no GPU run has (a limit or power past 10 kW, a clock past 20 GHz, a time past 10^8 s): such
  // a value is a unit mistake, and the optimizers' grids would grow with it.
  void add(const std::string& key, const JobCurve& prototype, const OperatingPoint& point, std::size_t line);
  // The curves in first-seen order, each sorted with duplicates averaged.
  std::vector<JobCurve> finish();

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<JobCurve> curves_;
};

}  // namespace gpuopt::power
