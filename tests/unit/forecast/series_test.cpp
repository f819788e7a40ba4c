#include "gpuopt/forecast/series.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/trace_loader.hpp"

namespace gpuopt::forecast {
namespace {

using namespace std::chrono_literals;

Sample sample(EpochMs t, double power_w) {
  Sample s{0, t, {}};
  s.values.set(Metric::power_w, power_w);
  return s;
}

TEST(Resample, HoldsTheLatestSampleOnTheGrid) {
  const std::vector<Sample> samples{sample(1000, 10), sample(1150, 20), sample(1230, 30), sample(1400, 40)};
  const auto segments = resample(samples, {}, "t.csv");
  ASSERT_EQ(segments.size(), 1U);
  const Segment& s = segments[0];
  EXPECT_EQ(s.start_ms, 1000);
  const auto& p = s.values[index_of(Channel::power)];
  // 1000 -> 10, 1100 -> 10, 1200 -> 20, 1300 -> 30, 1400 -> 40
  ASSERT_EQ(s.size(), 5U);
  EXPECT_EQ(std::vector<float>(p.begin(), p.end()), (std::vector<float>{10, 10, 20, 30, 40}));
  EXPECT_TRUE(std::isnan(s.values[index_of(Channel::gpu_util)][0]));  // absent, not zero
  EXPECT_FALSE(s.has(Channel::gpu_util));
}

TEST(Resample, GapsSplitSegments) {
  const std::vector<Sample> samples{sample(1000, 1), sample(1100, 2), sample(1200, 3),
                                    sample(5000, 4), sample(5100, 5), sample(5200, 6)};
  const auto segments = resample(samples, {100ms, 1000ms}, "t.csv");
  ASSERT_EQ(segments.size(), 2U);
  EXPECT_EQ(segments[0].size(), 3U);
  EXPECT_EQ(segments[1].start_ms, 5000);
  EXPECT_EQ(segments[1].values[index_of(Channel::power)][0], 4);
}

TEST(Resample, ShortSegmentsAreDropped) {
  const std::vector<Sample> samples{sample(1000, 1), sample(9000, 2), sample(9100, 3)};
  const auto segments = resample(samples, {100ms, 1000ms}, "t.csv");
  ASSERT_EQ(segments.size(), 1U);
  EXPECT_EQ(segments[0].start_ms, 9000);
}

TEST(Resample, TimeGoingBackwardsNamesFileAndField) {
  const std::vector<Sample> samples{sample(1000, 1), sample(2000, 2), sample(1500, 3)};
  try {
    resample(samples, {}, "trace.csv");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), "trace.csv");
    EXPECT_EQ(e.field(), "timestamp");
    EXPECT_NE(std::string(e.what()).find("goes back in time"), std::string::npos) << e.what();
  }
}

TEST(Resample, BadOptionsAreUsageErrors) {
  EXPECT_THROW(resample({}, {0ms, 1000ms}, "t.csv"), UsageError);
  EXPECT_THROW(resample({}, {100ms, 50ms}, "t.csv"), UsageError);
}

TEST(LoadTrace, ReadsInterleavedGpusAndMasksMissingChannels) {
  test::TempDir dir;
  std::string csv = "timestamp, power.draw [W], utilization.gpu [%]\n";
  for (int i = 0; i < 30; ++i) {
    csv +=
        fmt::format("2025/07/27 00:22:{:02}.{:03}, {} W, {} %\n", 10 + i / 10, (i % 10) * 100, 100 + i, 50);
    csv += fmt::format("2025/07/27 00:22:{:02}.{:03}, {} W, {} %\n", 10 + i / 10, (i % 10) * 100 + 3, 200 + i,
                       60);
  }
  const Trace trace = load_trace(dir.write("two.csv", csv), {});
  ASSERT_EQ(trace.gpus.size(), 2U);
  const Segment& s = trace.gpus[1].segments.at(0);
  EXPECT_TRUE(s.has(Channel::power));
  EXPECT_FALSE(s.has(Channel::mem_used));
  EXPECT_EQ(s.values[index_of(Channel::gpu_util)][5], 60);
}

// The reader's issues used to be dropped: 9 bad rows vanished without a word.
TEST(LoadTrace, TheReadersIssuesAreReportedNamingTheLine) {
  test::TempDir dir;
  std::string csv = "timestamp, power.draw [W]\n";
  for (int i = 0; i < 30; ++i) {
    csv += fmt::format("2025/07/27 00:22:{:02}.{:03}, {} W\n", 10 + i / 10, (i % 10) * 100,
                       i % 6 == 5 ? "x" : "100");
  }
  std::vector<std::string> issues;
  TraceLoadOptions options;
  options.on_issue = [&](const std::string& message) { issues.push_back(message); };
  const std::string path = dir.write("bad_rows.csv", csv);
  load_trace(path, options);
  ASSERT_EQ(issues.size(), TraceLoadOptions::kIssuesShown + 1);
  EXPECT_TRUE(issues[0].starts_with(path + ":7: ")) << issues[0];
  EXPECT_EQ(issues.back(), path + ": 2 more issues (5 rows skipped in all)");

  const std::string all_bad =
      dir.write("all_bad.csv", "timestamp, power.draw [W]\n2025/07/27 00:22:10.000, x W\n");
  try {
    load_trace(all_bad, {});
    FAIL() << "no throw";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("the first: " + all_bad + ":2: "), std::string::npos) << e.what();
  }
}

// The error used to name the file but not the line.
TEST(LoadTrace, TimeGoingBackwardsNamesTheLine) {
  test::TempDir dir;
  std::string csv = "timestamp, power.draw [W]\n";
  for (int i = 0; i < 30; ++i)
    csv += fmt::format("2025/07/27 00:22:{:02}.{:03}, 100 W\n", 10 + i / 10, (i % 10) * 100);
  csv += "2025/07/27 00:22:11.000, 100 W\n";  // line 32, 1.9 s before line 31
  const std::string path = dir.write("back.csv", csv);
  try {
    load_trace(path, {});
    FAIL() << "no throw";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 32U);
    EXPECT_EQ(e.field(), "timestamp");
    EXPECT_NE(std::string(e.what()).find("goes back from 2025-07-27T00:22:12.900Z on GPU 0"),
              std::string::npos)
        << e.what();
  }
}

TEST(LoadTrace, UnusableFilesFailNamingTheFile) {
  test::TempDir dir;
  const std::string empty = dir.write("empty.csv", "");
  const std::string unknown =
      dir.write("unknown.csv", "timestamp, fan.speed [%]\n2025/07/27 00:22:10.000, 30 %\n");
  const std::string header_only = dir.write("header.csv", "timestamp, power.draw [W]\n");
  const std::string foreign = dir.write("foreign.csv", "timestamp, foo.bar\n2025/07/27 00:22:10.000, 3\n");
  for (const auto& path : {empty, unknown, header_only, foreign}) {
    try {
      load_trace(path, {});
      FAIL() << path;
    } catch (const ParseError& e) {
      EXPECT_EQ(e.file(), path);
    }
  }
}

TEST(ExpandTracePaths, DirectoriesRecurseAndMissingPathsFail) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "sub");
  dir.write("b.csv", "x");
  dir.write("sub/a.csv", "x");
  dir.write("notes.txt", "x");
  const auto files = expand_trace_paths({dir.path().string()});
  ASSERT_EQ(files.size(), 2U);
  EXPECT_NE(files[0].find("b.csv"), std::string::npos);
  EXPECT_THROW(expand_trace_paths({(dir.path() / "missing").string()}), Error);
}

}  // namespace
}  // namespace gpuopt::forecast
