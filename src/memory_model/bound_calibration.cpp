#include "bound_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace gpuopt::memory {

double conformal_log_margin(std::span<const double> truth, std::span<const double> reference,
                            double coverage) {
  std::vector<double> scores;
  for (std::size_t i = 0; i < truth.size() && i < reference.size(); ++i) {
    if (truth[i] > 0 && reference[i] > 0) scores.push_back(std::log(truth[i] / reference[i]));
  }
  if (scores.empty()) return 0;
  std::sort(scores.begin(), scores.end());
  const auto n = static_cast<double>(scores.size());
  // The finite-sample correction (n + 1) makes the coverage hold for a new exchangeable row.
  const double level = std::min(1.0, coverage + kFamilyShiftSlack);
  const auto rank = static_cast<std::size_t>(std::ceil((n + 1) * level));
  const std::size_t index = std::min(scores.size(), std::max<std::size_t>(rank, 1)) - 1;
  return std::max(0.0, scores[index]);
}

}  // namespace gpuopt::memory
