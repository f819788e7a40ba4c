// Readers of the measured power data sets (docs/power.md lists the formats). Every reader
// throws ParseError("FILE:LINE: field 'F': reason") for malformed input and returns curves
// whose points are sorted and de-duplicated (repeated settings are averaged).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuopt/power/curve.hpp"

namespace gpuopt::power {

// Training-set sizes (samples per epoch) of the Zeus workloads, by dataset name; nullopt for
// an unknown dataset. Iterations per epoch = ceil(size / batch size).
std::optional<long> dataset_samples(const std::string& dataset);

// Zeus summary_power_<gpu>.csv: dataset,network,batch_size,optimizer,power_limit,
// time_per_epoch,average_power. One curve per (dataset, network, batch size, optimizer);
// unit "epoch". Throws ParseError for an unknown dataset (its iterations per epoch are unknown).
std::vector<JobCurve> load_zeus_summary(const std::string& path, const std::string& gpu);

// Zeus summary_train.csv: sets units_per_job of each matching curve to the median number of
// epochs its runs needed to reach the workload's target metric (docs/power.md). Curves
// without a match keep 0.
void attach_zeus_epochs(const std::string& summary_train_path, std::vector<JobCurve>& curves);

// zeus-profile "<GPU>+<model>+gpu<i,j>.csv": one profiling window per power limit
// (window_name __GlobalPowerLimitOptimizer_<W>, elapsed_time, gpu<i>_energy...). Unit "window".
std::vector<JobCurve> load_zeus_profile(const std::string& path);

// Perseus zeus_global.csv (time and energy per iteration summed over all GPUs of a pipeline,
// one global power limit per row). GPU named by the caller (the folder name). Unit "iteration".
std::vector<JobCurve> load_perseus_global(const std::string& path, const std::string& gpu);

// Perseus stage_profile/<model>+<gpu>_<dtype>.csv: time and energy per pipeline stage and
// instruction (forward/backward) at each SM frequency. One clock curve per stage x instruction.
std::vector<JobCurve> load_perseus_stages(const std::string& path);

// NV-DVFS-Benchmark tables (any CSV with benchmark, argNo, core_frequency, memory_frequency,
// average_power and time columns): one clock curve per benchmark x input x memory clock.
std::vector<JobCurve> load_dvfs_table(const std::string& path, const std::string& gpu);

// gpuPTXModel aggregated_dataset_<gpu>.csv: a line naming a benchmark, then rows of
// mem_freq,core_freq,time_ms,avg_power_w,energy_mj. One clock curve per benchmark x memory clock.
std::vector<JobCurve> load_ptx_blocks(const std::string& path, const std::string& gpu);

// A --data argument: PATH, or GPU=PATH (a GPU name holds no '/').
struct PowerFileSpec {
  std::string gpu;  // "" = derived from the file name
  std::string path;
};
PowerFileSpec parse_power_file_spec(const std::string& spec);

// Any of the above, recognised by its name (and header for DVFS tables). `spec` is a path or
// GPU=PATH (the GPU name overrides the one derived from the file name). For a Zeus summary,
// units_per_job comes from summary_train.csv in the same folder when it exists.
// Throws UsageError for a file that is not a power/clock curve file.
std::vector<JobCurve> load_power_file(const std::string& spec);

}  // namespace gpuopt::power
