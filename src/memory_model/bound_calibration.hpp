// Split-conformal calibration of the safe upper bound: the bound is a prediction scaled by
// exp(margin), where margin is the conformal quantile of log(truth / prediction) on rows the
// predictor did not train on.
#pragma once

#include <span>

namespace gpuopt::memory {

// The quantile is taken `kFamilyShiftSlack` above the asked coverage. Split conformal assumes the
// new row exchangeable with the calibration rows, but a held-out family is not: its rows are
// correlated and the validation set holds only a dozen families. At exactly 0.95 the hybrid's
// coverage over held-out timm families ranged 94.4-96.2 % across three fold seeds (bench/README.md).
inline constexpr double kFamilyShiftSlack = 0.01;

// The smallest log-margin m such that truth <= reference * exp(m) for the ceil((n + 1) * level)-th
// smallest score, level = min(1, coverage + kFamilyShiftSlack) (the split-conformal quantile);
// never negative. Rows with truth or reference <= 0 are ignored; no usable row gives 0.
double conformal_log_margin(std::span<const double> truth, std::span<const double> reference,
                            double coverage);

}  // namespace gpuopt::memory
