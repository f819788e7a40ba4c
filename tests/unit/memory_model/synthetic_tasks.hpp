// Small synthetic training tasks whose peak follows the structure of the measured data (intercept
// 16 B x params + overhead, slope a family-dependent share of the layer outputs), for fast tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpuopt/memory/task.hpp"

namespace gpuopt::test {

inline memory::Task synthetic_task(int family, int model, std::int64_t batch_size) {
  memory::Task t;
  t.model = "fam" + std::string(1, static_cast<char>('a' + family)) + std::to_string(model);
  t.family = memory::family_of(t.model);
  t.id = "synthetic/" + t.model + "/bs" + std::to_string(batch_size);
  t.source = "synthetic";
  t.batch_size = batch_size;
  t.input_shape = {3, 64, 64};
  const int depth = 4 + (model % 5) + family;
  std::int64_t elements = 0;
  for (int i = 0; i < depth; ++i) {
    const std::int64_t out = (64 * 64 * 16) >> (i / 2);
    const std::int64_t params = 3 * 3 * 16 * 16 * (1 + model % 3);
    t.layers.push_back({"Conv2d", out, params});
    t.layers.push_back({family % 2 ? "ReLU" : "GELU", out, 0});
    t.params += params;
    elements += 2 * out;
  }
  // Families keep a different share of their outputs for backward.
  const double retention = 0.5 + 0.05 * family;
  const double mib = 1024.0 * 1024.0;
  t.peak_mem_mib = 16.0 * static_cast<double>(t.params) / mib + 1500 +
                   retention * static_cast<double>(elements) * 4 * static_cast<double>(batch_size) / mib;
  t.status = "ok";
  t.quality = "clean";
  t.precision = "fp32";
  t.optimizer = "adam";
  t.mode = "train";
  return t;
}

// families x models x batch sizes {8, 16, 32, 64, 128}
inline std::vector<memory::Task> synthetic_tasks(int families, int models_per_family) {
  std::vector<memory::Task> tasks;
  for (int f = 0; f < families; ++f) {
    for (int m = 0; m < models_per_family; ++m) {
      for (std::int64_t b : {8, 16, 32, 64, 128}) tasks.push_back(synthetic_task(f, m, b));
    }
  }
  return tasks;
}

}  // namespace gpuopt::test
