// Reads every nvidia-smi CSV under $GPUOPT_DATA_DIR/telemetry and checks that the rows are kept
// with sane values. GPU counts of the interleaved traces (no index column) are decided as
// docs/import.md explains: 8 for h100-gpt350m-train and 2 for titanx-gpt-train (their READMEs
// say so); for the inference runs, the number of rows per sampling round (rows whose timestamps
// lie within a few ms of each other, rounds being ~100 ms apart).
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_dir.hpp"
#include "gpuopt/nvidia_smi_csv.hpp"

namespace gpuopt {
namespace {

namespace fs = std::filesystem;

struct Trace {
  CsvReadResult result;
  std::vector<Sample> samples;
};

Trace read_trace(const fs::path& path, int gpus) {
  Trace t;
  CsvReadOptions options;
  options.gpus = gpus;
  t.result = read_nvidia_smi_csv(path.string(), options, [&](std::span<const Sample> batch) {
    t.samples.insert(t.samples.end(), batch.begin(), batch.end());
  });
  return t;
}

// The most common number of consecutive rows less than 30 ms apart: with nvidia-smi -lms 100
// each sampling round writes one row per GPU within a few ms.
int rows_per_sampling_round(const std::vector<Sample>& samples) {
  std::map<int, int> round_sizes;
  int size = 1;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].time_ms - samples[i - 1].time_ms < 30) {
      ++size;
    } else {
      ++round_sizes[size];
      size = 1;
    }
  }
  ++round_sizes[size];
  return std::max_element(round_sizes.begin(), round_sizes.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

// GPUs interleaved in a trace without an index column (0 when rows name their GPU).
int interleaved_gpus(const fs::path& path) {
  const std::string folder = path.parent_path().filename().string();
  if (folder == "h100-gpt350m-train") return 8;
  if (folder == "titanx-gpt-train") return 2;
  if (folder == "format-examples") return 0;
  return rows_per_sampling_round(read_trace(path, 1).samples);
}

// Share of one GPU's consecutive samples less than 30 ms apart: near 0 when rows are assigned
// to the right GPUs, large when rows of one sampling round are mixed into one GPU.
double share_of_short_gaps(const std::vector<Sample>& samples, int gpu) {
  std::size_t gaps = 0;
  std::size_t short_gaps = 0;
  std::optional<EpochMs> previous;
  for (const auto& s : samples) {
    if (s.gpu != gpu) continue;
    if (previous) {
      ++gaps;
      if (s.time_ms - *previous < 30) ++short_gaps;
    }
    previous = s.time_ms;
  }
  return gaps == 0 ? 0.0 : static_cast<double>(short_gaps) / static_cast<double>(gaps);
}

void expect_sane(const fs::path& path, const Trace& t, int gpus) {
  SCOPED_TRACE(path.string());
  const auto& r = t.result;
  EXPECT_GT(r.rows_read, 0u);
  // Only a cut-off last line may be skipped.
  EXPECT_LE(r.rows_skipped, r.truncated_last_line ? 1u : 0u)
      << (r.issues.empty() ? "" : r.issues.front().to_string());
  if (gpus > 0) {
    EXPECT_EQ(r.devices.size(), static_cast<std::size_t>(gpus));
  }
  for (const auto& s : t.samples) {
    ASSERT_TRUE(s.values.has(Metric::power_w)) << "GPU " << s.gpu << " at " << s.time_ms;
    const double power = *s.values.get(Metric::power_w);
    ASSERT_TRUE(power > 0 && power <= 1000) << power;
    for (Metric pct : {Metric::gpu_util_pct, Metric::mem_util_pct}) {
      if (auto v = s.values.get(pct)) {
        ASSERT_TRUE(*v >= 0 && *v <= 100) << *v;
      }
    }
    if (auto mib = s.values.get(Metric::mem_used_mib)) {
      ASSERT_TRUE(*mib >= 0 && *mib <= 200000) << *mib;
    }
    ASSERT_GT(s.time_ms, 1'500'000'000'000);  // after 2017
  }
  // A GPU count too small puts rows of one sampling round into one GPU; too large spreads a
  // GPU's rows over several rounds' worth of devices.
  if (gpus > 0) {
    EXPECT_EQ(rows_per_sampling_round(t.samples), gpus);
  }
  for (int gpu = 0; gpu < static_cast<int>(r.devices.size()); ++gpu) {
    EXPECT_LT(share_of_short_gaps(t.samples, gpu), 0.05) << "GPU " << gpu;
  }
}

TEST(NvidiaSmiCsvData, ReadsEveryTelemetryTraceWithSaneValues) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  std::map<std::string, int> files_per_folder;
  for (const auto& entry : fs::recursive_directory_iterator(data / "telemetry")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    const int gpus = interleaved_gpus(entry.path());
    expect_sane(entry.path(), read_trace(entry.path(), gpus), gpus);
    ++files_per_folder[entry.path().lexically_relative(data / "telemetry").begin()->string()];
  }
  for (const char* folder :
       {"h100-gpt350m-train", "titanx-gpt-train", "a100-llm-infer", "v100-llm-infer", "format-examples"}) {
    EXPECT_GT(files_per_folder[folder], 0) << "no CSV found in telemetry/" << folder;
  }
}

// The GPU counts docs/import.md gives for the inference runs, checked against the rows.
TEST(NvidiaSmiCsvData, InferenceRunsHaveTheDocumentedGpuCounts) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  const std::map<std::string, int> documented{
      {"a100-llm-infer/falcon-40b_09-01-30", 3}, {"a100-llm-infer/llama2-13b_10-08-41", 1},
      {"a100-llm-infer/llama2-70b_06-17-19", 4}, {"a100-llm-infer/mixtral-8x7b_10-54-15", 3},
      {"v100-llm-infer/falcon-7b_11-36-01", 1},  {"v100-llm-infer/falcon-7b_13-06-04", 1},
      {"v100-llm-infer/llama2-7b_08-43-09", 1},
  };
  int checked = 0;
  for (const auto& [run, gpus] : documented) {
    const fs::path path = data / "telemetry" / run / "nvidia-smi.csv";
    if (!fs::exists(path)) continue;
    EXPECT_EQ(interleaved_gpus(path), gpus) << run;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// Without --gpus, the reader finds the same counts from the timestamps of the first rows.
TEST(NvidiaSmiCsvData, DetectsTheInterleavedGpuCountOfEveryTrace) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data / "telemetry")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    SCOPED_TRACE(entry.path().string());
    const int expected = interleaved_gpus(entry.path());
    const CsvReadResult r = read_trace(entry.path(), 0).result;
    EXPECT_EQ(r.interleaved_gpus, std::max(expected, 1));
    EXPECT_EQ(r.interleaved_gpus_detected, expected > 0);  // files with an index column need none
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(NvidiaSmiCsvData, ReadsTheFullSchemaExamples) {
  GPUOPT_DATA_DIR_OR_SKIP(data);
  const Trace h100 = read_trace(data / "telemetry" / "format-examples" / "h100-tp4-vllm-head.csv", 0);
  ASSERT_EQ(h100.result.devices.size(), 4u);
  EXPECT_TRUE(h100.result.devices[0].uuid.starts_with("GPU-"));
  EXPECT_TRUE(h100.result.ignored_columns.empty());
  ASSERT_FALSE(h100.samples.empty());
  const MetricValues& v = h100.samples.front().values;
  for (Metric m : {Metric::power_w, Metric::sm_clock_mhz, Metric::mem_clock_mhz, Metric::gpu_util_pct,
                   Metric::mem_util_pct, Metric::mem_used_mib, Metric::temperature_c, Metric::pstate,
                   Metric::power_limit_w, Metric::throttle_reasons}) {
    EXPECT_TRUE(v.has(m)) << metric_info(m).name;
  }
  EXPECT_EQ(v.get(Metric::power_limit_w), 700.0);
  EXPECT_EQ(v.get(Metric::throttle_reasons), 0.0);  // all "Not Active"
}

}  // namespace
}  // namespace gpuopt
