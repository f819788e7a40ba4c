// predictions_csv (evaluation.hpp).
#include <fmt/format.h>

#include "gpuopt/csv_field.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"

namespace gpuopt::memory {

std::string predictions_csv_header() {
  return "model,fold,id,family,batch_size,status,quality,scored,measured_mib,peak_mem_mib,"
         "peak_mem_upper_mib\n";
}

std::string predictions_csv(std::string_view model, std::span<const Task> tasks, std::span<const int> folds,
                            std::span<const MemoryPrediction> predictions, const RowSelection& selection) {
  if (predictions.size() != tasks.size() || (!folds.empty() && folds.size() != tasks.size())) {
    throw Error(fmt::format("predictions_csv: {} tasks, {} predictions, {} folds", tasks.size(),
                            predictions.size(), folds.size()));
  }
  std::string out;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const Task& t = tasks[i];
    out += fmt::format("{},{},{},{},{},{},{},{},{},{:.1f},{:.1f}\n", csv_field(model),
                       folds.empty() ? std::string() : std::to_string(folds[i]), csv_field(t.id),
                       csv_field(t.family), t.batch_size, csv_field(t.status), csv_field(t.quality),
                       is_scored(t, selection) ? 1 : 0,
                       t.peak_mem_mib ? fmt::format("{:.1f}", *t.peak_mem_mib) : std::string(),
                       predictions[i].peak_mem_mib, predictions[i].peak_mem_upper_mib);
  }
  return out;
}

}  // namespace gpuopt::memory
