#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "csv_test_files.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/telemetry.hpp"

namespace gpuopt {
namespace {

using test::TempFiles;

constexpr EpochMs kWall = 1'800'000'000'000;  // an arbitrary wall-clock start

// Two GPUs interleaved without an index column, five rounds 100 ms apart; GPU g's power in
// round r is 100 * (g + 1) + r.
std::string two_gpu_trace() {
  std::string text = "timestamp, power.draw [W], utilization.gpu [%]\n";
  for (int round = 0; round < 5; ++round) {
    for (int gpu = 0; gpu < 2; ++gpu) {
      text += "2025/07/27 00:22:27." + std::to_string(100 + round * 100) + ", " +
              std::to_string(100 * (gpu + 1) + round) + " W, 50 %\n";
    }
  }
  return text;
}

std::unique_ptr<TelemetrySource> open_replay(const std::string& path, double speed = 1.0, bool loop = false) {
  SourceOptions options;
  options.gpus = 2;
  options.replay_speed = speed;
  options.replay_loop = loop;
  return open_source("replay:" + path, options);
}

// The power of each returned GPU, e.g. {101, 201} for round 1.
std::vector<double> powers(const std::vector<Sample>& samples) {
  std::vector<double> out;
  for (const auto& s : samples) out.push_back(s.values.get(Metric::power_w).value_or(-1));
  return out;
}

TEST(ReplaySource, PresentsTheTraceDevices) {
  TempFiles files;
  const auto path = files.write("two.csv", two_gpu_trace());
  const auto source = open_replay(path);
  EXPECT_EQ(source->info().name, "replay:" + path);
  EXPECT_FALSE(source->info().simulated);
  ASSERT_EQ(source->devices().size(), 2u);
  EXPECT_EQ(source->devices()[1].uuid, "trace:traces/two.csv:gpu1");
  EXPECT_EQ(source->devices()[1].index, 1);
}

TEST(ReplaySource, ReturnsTheLatestSampleAtOrBeforeThePositionRebasedToNow) {
  TempFiles files;
  const auto source = open_replay(files.write("two.csv", two_gpu_trace()));
  const auto first = source->read(kWall);
  EXPECT_EQ(powers(first), (std::vector<double>{100, 200}));
  EXPECT_EQ(first[0].time_ms, kWall);
  EXPECT_EQ(first[1].gpu, 1);
  EXPECT_EQ(powers(source->read(kWall + 99)), (std::vector<double>{100, 200}));
  const auto later = source->read(kWall + 150);
  EXPECT_EQ(powers(later), (std::vector<double>{101, 201}));
  EXPECT_EQ(later[1].time_ms, kWall + 150);
  // Reading an earlier time again (a clock step) still finds the right sample.
  EXPECT_EQ(powers(source->read(kWall + 20)), (std::vector<double>{100, 200}));
  EXPECT_EQ(powers(source->read(kWall + 399)), (std::vector<double>{103, 203}));
  EXPECT_FALSE(source->finished());
}

TEST(ReplaySource, FinishesAtTheEndOfTheTrace) {
  TempFiles files;
  const auto source = open_replay(files.write("two.csv", two_gpu_trace()));
  source->read(kWall);
  EXPECT_FALSE(source->finished());
  EXPECT_EQ(powers(source->read(kWall + 400)), (std::vector<double>{104, 204}));
  EXPECT_TRUE(source->finished());
  EXPECT_EQ(powers(source->read(kWall + 10'000)), (std::vector<double>{104, 204}));
  EXPECT_TRUE(source->finished());
}

TEST(ReplaySource, PlaysFasterAtHigherSpeed) {
  TempFiles files;
  const auto source = open_replay(files.write("two.csv", two_gpu_trace()), 4.0);
  source->read(kWall);
  EXPECT_EQ(powers(source->read(kWall + 50)), (std::vector<double>{102, 202}));
  EXPECT_FALSE(source->finished());
  source->read(kWall + 100);
  EXPECT_TRUE(source->finished());
}

TEST(ReplaySource, LoopsWithoutFinishing) {
  TempFiles files;
  const auto source = open_replay(files.write("two.csv", two_gpu_trace()), 1.0, true);
  source->read(kWall);
  // One loop lasts the trace's 400 ms plus one 100 ms sampling period.
  EXPECT_EQ(powers(source->read(kWall + 450)), (std::vector<double>{104, 204}));
  EXPECT_EQ(powers(source->read(kWall + 500)), (std::vector<double>{100, 200}));
  EXPECT_EQ(powers(source->read(kWall + 5'000 + 210)), (std::vector<double>{102, 202}));
  EXPECT_FALSE(source->finished());
}

TEST(ReplaySource, StartsOnceEveryGpuHasItsFirstReading) {
  TempFiles files;
  const auto path = files.write("late.csv",
                                "timestamp, index, power.draw [W]\n"
                                "2025/07/27 00:22:27.100, 0, 70 W\n"
                                "2025/07/27 00:22:27.130, 1, 80 W\n"
                                "2025/07/27 00:22:27.200, 0, 71 W\n"
                                "2025/07/27 00:22:27.230, 1, 81 W\n");
  const auto source = open_source("replay:" + path, SourceOptions{});
  EXPECT_EQ(powers(source->read(kWall)), (std::vector<double>{70, 80}));
  EXPECT_EQ(powers(source->read(kWall + 70)), (std::vector<double>{71, 80}));
  EXPECT_EQ(powers(source->read(kWall + 100)), (std::vector<double>{71, 81}));
}

TEST(ReplaySource, RejectsUnusableTracesAndSpeeds) {
  TempFiles files;
  EXPECT_THROW(open_replay((files.dir() / "missing.csv").string()), ParseError);
  EXPECT_THROW(open_replay(files.write("header-only.csv", "timestamp, power.draw [W]\n")), ParseError);
  const auto path = files.write("two.csv", two_gpu_trace());
  EXPECT_THROW(open_replay(path, 0.0), UsageError);
  EXPECT_THROW(open_replay(path, -1.0), UsageError);
}

}  // namespace
}  // namespace gpuopt
