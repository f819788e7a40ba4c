// The windows gpuopt measured in one job, grouped by setting, and the measurement noise
// estimated from them (docs/power.md, "Measurement noise"). Each window is split into
// sub-windows; their spread around the window's mean estimates the noise of one iteration,
// pooled over every window and over time and power. Exact measurements give a noise of 0.
// Internal to the power library. Not thread-safe.
#pragma once

#include <span>
#include <vector>

#include "gpuopt/power/simulator.hpp"

namespace gpuopt::power {

class MeasurementLog {
 public:
  struct Setting {
    Measurement mean;    // mean over its windows, weighted by iterations
    int iterations = 0;  // profiled iterations at this setting
  };

  // One window at one setting: `parts` (non-empty, same knob) of `iterations_per_part` each.
  // Throws std::invalid_argument for an empty span or a non-positive part length.
  void add(std::span<const Measurement> parts, int iterations_per_part);

  // In the order first measured; the first is the reference (the maximum setting).
  const std::vector<Setting>& settings() const { return settings_; }
  const Setting* find(double knob) const;
  // Variance in log space of a measurement averaged over `iterations` iterations.
  double log_var(int iterations) const;
  // The same, at a high quantile of the estimate (few sub-windows give a rough estimate).
  double log_var_upper(int iterations) const;
  int windows() const { return windows_; }

 private:
  std::vector<Setting> settings_;
  double squares_ = 0;          // sum over sub-windows of iterations x squared log deviation
  int degrees_of_freedom_ = 0;  // of the pooled per-iteration variance
  int windows_ = 0;
};

}  // namespace gpuopt::power
