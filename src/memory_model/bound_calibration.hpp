// Split-conformal calibration of the safe upper bound: the bound is a prediction scaled by
// exp(margin), where margin is the conformal quantile of log(truth / prediction) on rows the
// predictor did not train on.
#pragma once

#include <span>

namespace gpuopt::memory {

// The smallest log-margin m such that truth <= reference * exp(m) for the ceil((n + 1) * coverage)-th
// smallest score (the split-conformal quantile); never negative. Rows with truth or reference <= 0
// are ignored; no usable row gives 0.
double conformal_log_margin(std::span<const double> truth, std::span<const double> reference,
                            double coverage);

}  // namespace gpuopt::memory
