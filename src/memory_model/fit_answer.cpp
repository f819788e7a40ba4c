// answer_fit: fits / does not fit and the largest batch size that fits (predictor.hpp).
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/predictor.hpp"

namespace gpuopt::memory {
namespace {

constexpr double kDefaultGpuMemMib = 40960;
// Candidates per predict() call: a sequence model encodes the layers once per call, so probing many
// batch sizes at once costs little more than probing one.
constexpr std::int64_t kProbesPerRound = 32;

// The largest b in [lo, hi] whose bound fits, given that lo fits and hi + 1 does not (or hi is the limit).
std::int64_t search_between(const MemoryPredictor& predictor, const Task& task, double gpu_mem_mib,
                            std::int64_t lo, std::int64_t hi) {
  while (lo < hi) {
    const std::int64_t span = hi - lo;
    const std::int64_t step = std::max<std::int64_t>(1, (span + kProbesPerRound - 1) / kProbesPerRound);
    std::vector<Task> probes;
    for (std::int64_t b = lo + step; b <= hi; b += step) {
      probes.push_back(task);
      probes.back().batch_size = b;
    }
    const std::vector<MemoryPrediction> predicted = predictor.predict(probes);
    // Probes are ascending; the interval shrinks every round because the first probe is lo + step.
    std::int64_t new_lo = lo, new_hi = hi;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (predicted[i].peak_mem_upper_mib <= gpu_mem_mib) {
        new_lo = probes[i].batch_size;
      } else {
        new_hi = probes[i].batch_size - 1;
        break;
      }
    }
    lo = new_lo;
    hi = std::max(new_lo, new_hi);
  }
  return lo;
}

}  // namespace

FitAnswer answer_fit(const MemoryPredictor& predictor, const Task& task, double gpu_mem_mib,
                     std::int64_t max_batch_limit) {
  if (!(gpu_mem_mib > 0))
    throw UsageError(fmt::format("GPU memory must be positive (got {} MiB)", gpu_mem_mib));
  FitAnswer answer;
  // Batch size 1, the task's own and powers of two bracket the answer in one call.
  std::vector<Task> probes;
  for (std::int64_t b = 1; b <= max_batch_limit; b *= 2) {
    probes.push_back(task);
    probes.back().batch_size = b;
  }
  probes.push_back(task);
  const std::vector<MemoryPrediction> predicted = predictor.predict(probes);
  answer.prediction = predicted.back();
  answer.fits = answer.prediction.peak_mem_upper_mib <= gpu_mem_mib;
  std::int64_t lo = 0;
  std::int64_t hi = max_batch_limit;
  for (std::size_t i = 0; i + 1 < probes.size(); ++i) {
    if (predicted[i].peak_mem_upper_mib <= gpu_mem_mib) {
      lo = probes[i].batch_size;
    } else {
      hi = probes[i].batch_size - 1;
      break;
    }
  }
  answer.max_batch_size = lo == 0 ? 0 : search_between(predictor, task, gpu_mem_mib, lo, hi);
  return answer;
}

double default_gpu_mem_mib(const Task& task) {
  return task.gpu_mem_mib ? static_cast<double>(*task.gpu_mem_mib) : kDefaultGpuMemMib;
}

nlohmann::json fit_answer_json(const FitAnswer& answer, const Task& task, double gpu_mem_mib,
                               std::string_view model_name) {
  return {{"id", task.id},
          {"model", model_name},
          {"batch_size", task.batch_size},
          {"gpu_mem_mib", gpu_mem_mib},
          {"peak_mem_mib", answer.prediction.peak_mem_mib},
          {"peak_mem_upper_mib", answer.prediction.peak_mem_upper_mib},
          {"fits", answer.fits},
          {"max_batch_size", answer.max_batch_size}};
}

}  // namespace gpuopt::memory
