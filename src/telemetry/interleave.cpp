#include "interleave.hpp"

#include <algorithm>
#include <vector>

#include "csv_fields.hpp"
#include "line_reader.hpp"

namespace gpuopt::csv {
namespace {

constexpr int kMaxGpus = 16;
constexpr int kMinRounds = 4;
constexpr double kMinSeparation = 4.0;

// The q-quantile (0..1) of `values` by nearest rank; `values` is reordered.
EpochMs quantile(std::vector<EpochMs>& values, double q) {
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// How clearly rows fall into rounds of `gpus` with the round boundary after gap `phase`:
// boundary gaps (10th percentile) over in-round gaps (90th percentile, at least 1 ms).
double separation(std::span<const EpochMs> gaps, int gpus, int phase) {
  std::vector<EpochMs> boundary;
  std::vector<EpochMs> inside;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    (static_cast<int>(i % static_cast<std::size_t>(gpus)) == phase ? boundary : inside).push_back(gaps[i]);
  }
  const EpochMs low_boundary = quantile(boundary, 0.1);
  const EpochMs high_inside = std::max<EpochMs>(quantile(inside, 0.9), 1);
  return static_cast<double>(low_boundary) / static_cast<double>(high_inside);
}

}  // namespace

int detect_interleaved_gpus(std::span<const EpochMs> timestamps) {
  if (timestamps.size() < 2) return 1;
  std::vector<EpochMs> gaps;
  gaps.reserve(timestamps.size() - 1);
  for (std::size_t i = 1; i < timestamps.size(); ++i) gaps.push_back(timestamps[i] - timestamps[i - 1]);
  int best_gpus = 1;
  double best_separation = kMinSeparation;
  for (int gpus = 2; gpus <= kMaxGpus && gaps.size() >= static_cast<std::size_t>(kMinRounds * gpus); ++gpus) {
    for (int phase = 0; phase < gpus; ++phase) {
      if (const double s = separation(gaps, gpus, phase); s > best_separation) {
        best_separation = s;
        best_gpus = gpus;
      }
    }
  }
  return best_gpus;
}

std::vector<EpochMs> leading_timestamps(const std::string& path, int timestamp_field, std::size_t max_rows) {
  LineReader lines(path);
  std::vector<EpochMs> out;
  std::string_view line;
  bool header_seen = false;
  while (out.size() < max_rows && lines.next(line)) {
    if (trim(line).empty()) continue;
    if (!header_seen) {
      header_seen = true;
      continue;
    }
    std::size_t start = 0;
    for (int field = 0; field < timestamp_field && start != std::string_view::npos; ++field) {
      start = line.find(',', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos) continue;
    const std::string_view text = line.substr(start, line.find(',', start) - start);
    if (const auto t = parse_timestamp(text)) out.push_back(*t);
  }
  return out;
}

}  // namespace gpuopt::csv
