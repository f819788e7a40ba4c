#include "gpuopt/nvidia_smi_csv.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "csv_test_files.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/throttle.hpp"
#include "telemetry/line_reader.hpp"

namespace gpuopt {
namespace {

using test::TempFiles;

constexpr EpochMs kT0 = 1753575747858;  // 2025/07/27 00:22:27.858

struct Read {
  CsvReadResult result;
  std::vector<Sample> samples;
  std::vector<std::string> issues;  // to_string() of each
};

Read read(const std::string& path, CsvReadOptions options = {}) {
  Read out;
  out.result = read_nvidia_smi_csv(path, options, [&](std::span<const Sample> batch) {
    out.samples.insert(out.samples.end(), batch.begin(), batch.end());
  });
  for (const auto& issue : out.result.issues) out.issues.push_back(issue.to_string());
  return out;
}

Read read(const std::string& path, int gpus) {
  CsvReadOptions options;
  options.gpus = gpus;
  return read(path, options);
}

std::optional<double> value(const Sample& s, Metric m) { return s.values.get(m); }

TEST(NvidiaSmiCsv, ReadsUnitsInHeaderAndValuesWithInterleavedGpus) {
  TempFiles files;
  const auto path = files.write("h100.csv",
                                "timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
                                "2025/07/27 00:22:27.858, 71.25 W, 0 %, 130 MiB\n"
                                "2025/07/27 00:22:27.862, 72.48 W, 5 %, 17 MiB\n"
                                "2025/07/27 00:22:27.958, 300.5 W, 100 %, 80000 MiB\n");
  const Read r = read(path, 2);
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.result.rows_read, 3u);
  EXPECT_EQ(r.result.rows_skipped, 0u);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(r.samples[0].time_ms, kT0);
  EXPECT_EQ(r.samples[1].time_ms, kT0 + 4);
  EXPECT_EQ(r.samples[0].gpu, 0);
  EXPECT_EQ(r.samples[1].gpu, 1);
  EXPECT_EQ(r.samples[2].gpu, 0);
  EXPECT_EQ(value(r.samples[0], Metric::power_w), 71.25);
  EXPECT_EQ(value(r.samples[0], Metric::mem_used_mib), 130.0);
  EXPECT_EQ(value(r.samples[1], Metric::gpu_util_pct), 5.0);
  EXPECT_EQ(value(r.samples[2], Metric::gpu_util_pct), 100.0);
  EXPECT_FALSE(r.samples[0].values.has(Metric::temperature_c));
  EXPECT_FALSE(r.samples[0].values.has(Metric::throttle_reasons));
  ASSERT_EQ(r.result.devices.size(), 2u);
  EXPECT_EQ(r.result.devices[0].uuid, "trace:traces/h100.csv:gpu0");
  EXPECT_EQ(r.result.devices[1].uuid, "trace:traces/h100.csv:gpu1");
  EXPECT_EQ(r.result.devices[1].index, 1);
}

TEST(NvidiaSmiCsv, ReadsNoUnitsFormatAndBareHeaders) {
  TempFiles files;
  const auto with_header_units = read(files.write("nounits.csv",
                                                  "timestamp,power.draw [W],clocks.sm [MHz],temperature.gpu\n"
                                                  "2025/07/27 00:22:27.858,84.84,1410,35\n"));
  ASSERT_EQ(with_header_units.samples.size(), 1u);
  EXPECT_EQ(value(with_header_units.samples[0], Metric::power_w), 84.84);
  EXPECT_EQ(value(with_header_units.samples[0], Metric::sm_clock_mhz), 1410.0);
  EXPECT_EQ(value(with_header_units.samples[0], Metric::temperature_c), 35.0);

  const auto bare = read(files.write("bare.csv",
                                     "timestamp,power.draw,memory.used,clocks.current.memory\n"
                                     "2025/07/27 00:22:27.858,84.84,130,1593\n"));
  ASSERT_EQ(bare.samples.size(), 1u);
  EXPECT_EQ(value(bare.samples[0], Metric::power_w), 84.84);
  EXPECT_EQ(value(bare.samples[0], Metric::mem_used_mib), 130.0);
  EXPECT_EQ(value(bare.samples[0], Metric::mem_clock_mhz), 1593.0);
}

TEST(NvidiaSmiCsv, AcceptsValuesWithAndWithoutUnitsInOneFile) {
  TempFiles files;
  const Read r = read(files.write("titanx.csv",
                                  "timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
                                  "2025/12/04 01:22:31.703, 17.57, 0 %, 1 MiB\n"
                                  "2025/12/05 19:21:36.944, 18.03 W, 0, 1\n"));
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(value(r.samples[0], Metric::power_w), 17.57);
  EXPECT_EQ(value(r.samples[1], Metric::power_w), 18.03);
  EXPECT_EQ(value(r.samples[1], Metric::mem_used_mib), 1.0);
}

TEST(NvidiaSmiCsv, TreatsNotAvailableSpellingsAsAbsent) {
  TempFiles files;
  const Read r = read(files.write("na.csv",
                                  "timestamp, power.draw [W], fan.speed [%], temperature.gpu, pstate\n"
                                  "2025/07/27 00:22:27.858, [N/A], [Not Supported], N/A, [Unknown Error]\n"
                                  "2025/07/27 00:22:27.958, 70 W, , [Insufficient Permissions], P2\n"));
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_TRUE(r.samples[0].values.empty());
  EXPECT_EQ(value(r.samples[1], Metric::power_w), 70.0);
  EXPECT_FALSE(r.samples[1].values.has(Metric::fan_speed_pct));
  EXPECT_FALSE(r.samples[1].values.has(Metric::temperature_c));
  EXPECT_EQ(value(r.samples[1], Metric::pstate), 2.0);
}

TEST(NvidiaSmiCsv, IdentifiesDevicesByUuidAndKeepsTheirProperties) {
  TempFiles files;
  const auto path = files.write(
      "vllm.csv",
      "timestamp,index,uuid,name,pci.bus_id,power.draw [W],memory.total [MiB],power.max_limit [W]\n"
      "2026/07/18 21:26:02.997,0,GPU-aaaa,NVIDIA H100 80GB HBM3,00000000:18:00.0,118.11,81559,700.00\n"
      "2026/07/18 21:26:02.997,1,GPU-bbbb,NVIDIA H100 80GB HBM3,00000000:2A:00.0,118.68,81559,700.00\n"
      "2026/07/18 21:26:03.247,0,GPU-aaaa,NVIDIA H100 80GB HBM3,00000000:18:00.0,121.00,81559,700.00\n");
  const Read r = read(path, 8);
  ASSERT_EQ(r.result.devices.size(), 2u);
  const DeviceInfo& d1 = r.result.devices[1];
  EXPECT_EQ(d1.uuid, "GPU-bbbb");
  EXPECT_EQ(d1.index, 1);
  EXPECT_EQ(d1.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d1.pci_bus_id, "00000000:2A:00.0");
  EXPECT_EQ(d1.mem_total_mib, 81559.0);
  EXPECT_EQ(d1.power_limit_max_w, 700.0);
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[2].gpu, 0);
  EXPECT_EQ(value(r.samples[2], Metric::power_w), 121.0);
  // --gpus makes no sense when the file names each row's GPU: a warning, not an error.
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0], path + ":1: GPU count 8 ignored: the file names each row's GPU (uuid column)");
  EXPECT_EQ(r.result.rows_skipped, 0u);
}

TEST(NvidiaSmiCsv, MapsSparseIndexValuesToPositions) {
  TempFiles files;
  const Read r = read(files.write("idx.csv",
                                  "timestamp, index, power.draw [W]\n"
                                  "2025/07/27 00:22:27.858, 2, 70 W\n"
                                  "2025/07/27 00:22:27.858, 5, 80 W\n"
                                  "2025/07/27 00:22:27.958, 5, 81 W\n"));
  ASSERT_EQ(r.result.devices.size(), 2u);
  EXPECT_EQ(r.result.devices[0].index, 2);
  EXPECT_EQ(r.result.devices[1].index, 5);
  EXPECT_EQ(r.result.devices[1].uuid, "trace:traces/idx.csv:gpu5");
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[2].gpu, 1);
  EXPECT_EQ(value(r.samples[2], Metric::power_w), 81.0);
}

TEST(NvidiaSmiCsv, ReadsPstateAndThrottleReasons) {
  TempFiles files;
  const Read r = read(
      files.write("throttle.csv",
                  "timestamp,pstate,clocks_event_reasons.sw_power_cap,clocks_throttle_reasons.hw_slowdown,"
                  "clocks_event_reasons.active\n"
                  "2026/07/18 21:26:02.997,P0,Not Active,Not Active,0x0000000000000000\n"
                  "2026/07/18 21:26:03.247,P8,Active,Active,0x0000000000000001\n"
                  "2026/07/18 21:26:03.497,P0,[N/A],[N/A],[N/A]\n"));
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(value(r.samples[0], Metric::pstate), 0.0);
  EXPECT_EQ(value(r.samples[1], Metric::pstate), 8.0);
  // All reasons "Not Active" is a reading (mask 0), not an absent value.
  EXPECT_EQ(value(r.samples[0], Metric::throttle_reasons), 0.0);
  const auto expected = static_cast<double>(static_cast<std::uint64_t>(ThrottleReason::sw_power_cap) |
                                            static_cast<std::uint64_t>(ThrottleReason::hw_slowdown) |
                                            static_cast<std::uint64_t>(ThrottleReason::gpu_idle));
  EXPECT_EQ(value(r.samples[1], Metric::throttle_reasons), expected);
  EXPECT_FALSE(r.samples[2].values.has(Metric::throttle_reasons));
}

TEST(NvidiaSmiCsv, ConvertsOtherUnitsOfTheSameQuantity) {
  TempFiles files;
  const Read r =
      read(files.write("units.csv",
                       "timestamp, memory.used [GiB], memory.total [MB], power.draw [W], clocks.sm [MHz]\n"
                       "2025/07/27 00:22:27.858, 1.5, 1048.576, 71000 mW, 1.41 GHz\n"
                       "2025/07/27 00:22:27.958, 2048 MiB, 1 GB, 0.5 kW, 1410 MHz\n"));
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(*value(r.samples[0], Metric::mem_used_mib), 1536.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[0], Metric::mem_total_mib), 1000.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[0], Metric::power_w), 71.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[0], Metric::sm_clock_mhz), 1410.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[1], Metric::mem_used_mib), 2048.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[1], Metric::mem_total_mib), 1e9 / 1048576.0);
  EXPECT_DOUBLE_EQ(*value(r.samples[1], Metric::power_w), 500.0);
}

TEST(NvidiaSmiCsv, ReportsEachBadRowWithFileLineAndFieldAndKeepsGoodRows) {
  TempFiles files;
  const auto path = files.write("bad.csv",
                                "timestamp, power.draw [W], utilization.gpu [%], index\n"
                                "2025/07/27 00:22:27.858, 70 W, 3 %, 0\n"
                                "2025/07/27 00:22:27.958, 70 W\n"
                                "2025/07/27 00:22:28.058, abc W, 3 %, 0\n"
                                "2025/13/27 00:22:28.158, 70 W, 3 %, 0\n"
                                "2025/07/27 00:22:28.258, -5 W, 3 %, 0\n"
                                "2025/07/27 00:22:28.358, 70 W, 101 %, 0\n"
                                "2025/07/27 00:22:28.458, 71 MiB, 3 %, 0\n"
                                "2025/07/27 00:22:28.558, 70 W, 3 %, x\n"
                                "2025/07/27 00:22:28.658, 70 W, 100 %, 0\n");
  const Read r = read(path);
  EXPECT_EQ(r.result.rows_read, 2u);
  EXPECT_EQ(r.result.rows_skipped, 7u);
  EXPECT_EQ(r.result.issue_count, 7u);
  EXPECT_FALSE(r.result.truncated_last_line);
  const std::vector<std::string> expected{
      path + ":3: expected 4 fields, found 2",
      path + ":4: field 'power.draw [W]': invalid number 'abc W'",
      path +
          ":5: field 'timestamp': invalid timestamp '2025/13/27 00:22:28.158' (expected YYYY/MM/DD "
          "hh:mm:ss.mmm)",
      path + ":6: field 'power.draw [W]': negative value '-5 W'",
      path + ":7: field 'utilization.gpu [%]': percentage above 100: '101 %'",
      path + ":8: field 'power.draw [W]': unit 'MiB' in '71 MiB' is not a power unit (use W, mW, kW)",
      path + ":9: field 'index': invalid GPU index 'x'",
  };
  EXPECT_EQ(r.issues, expected);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.samples[1].time_ms, kT0 + 800);
  EXPECT_EQ(value(r.samples[1], Metric::gpu_util_pct), 100.0);
}

TEST(NvidiaSmiCsv, ReportsATruncatedLastLineWithoutFailing) {
  TempFiles files;
  const std::string header = "timestamp, power.draw [W], utilization.gpu [%], utilization.memory [%]\n";
  const std::string row = "2024/04/04 11:06:09.887, 71.54 W, 0 %, 0 %\n";
  const auto cut = files.write("cut.csv", header + row + "2024/04/04 11:06:09.890,");
  const Read r = read(cut);
  EXPECT_EQ(r.result.rows_read, 1u);
  EXPECT_EQ(r.result.rows_skipped, 1u);
  EXPECT_TRUE(r.result.truncated_last_line);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0], cut + ":3: truncated last line (2 of 4 fields, no newline at end of file)");

  // Cut inside the last value: the field count is right but the value is not.
  const Read mid_value =
      read(files.write("cut2.csv", header + row + "2024/04/04 11:06:09.890, 71.5 W, 0 %, 0 %x"));
  EXPECT_TRUE(mid_value.result.truncated_last_line);
  EXPECT_EQ(mid_value.result.rows_skipped, 1u);

  // A complete last row without a newline is kept.
  const Read whole = read(files.write("whole.csv", header + row + "2024/04/04 11:06:09.990, 72 W, 1 %, 0 %"));
  EXPECT_FALSE(whole.result.truncated_last_line);
  EXPECT_EQ(whole.result.rows_read, 2u);
  EXPECT_EQ(whole.result.rows_skipped, 0u);
}

TEST(NvidiaSmiCsv, IgnoresUnknownColumnsAndHeaderUnitsThatDoNotFit) {
  TempFiles files;
  const auto path = files.write("extra.csv",
                                "timestamp, driver_version, power.draw [W], memory.used [W], fan.speed [%]\n"
                                "2025/07/27 00:22:27.858, 535.104, 70 W, 12, 30 %\n");
  const Read r = read(path);
  EXPECT_EQ(r.result.ignored_columns, (std::vector<std::string>{"driver_version", "memory.used [W]"}));
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0],
            path +
                ":1: field 'memory.used [W]': unit 'W' is not a memory size unit (use MiB, KiB, GiB, "
                "TiB, B, KB, kB, MB, GB, TB); column ignored");
  EXPECT_EQ(r.result.rows_skipped, 0u);
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_FALSE(r.samples[0].values.has(Metric::mem_used_mib));
  EXPECT_EQ(value(r.samples[0], Metric::fan_speed_pct), 30.0);
}

TEST(NvidiaSmiCsv, ReadsCrlfLineEndingsAndAByteOrderMark) {
  TempFiles files;
  const Read r = read(files.write("crlf.csv",
                                  "\xEF\xBB\xBFtimestamp, power.draw [W]\r\n"
                                  "2025/07/27 00:22:27.858, 70 W\r\n"
                                  "\r\n"
                                  "2025/07/27 00:22:27.958, 71 W\r\n"));
  EXPECT_TRUE(r.issues.empty());
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(value(r.samples[1], Metric::power_w), 71.0);
}

TEST(NvidiaSmiCsv, RestartsRoundRobinAfterARepeatedHeader) {
  TempFiles files;
  const std::string header = "timestamp, power.draw [W]\n";
  const auto path = files.write("joined.csv", header +
                                                  "2025/07/27 00:22:27.858, 70 W\n"
                                                  "2025/07/27 00:22:27.860, 80 W\n"
                                                  "2025/07/27 00:22:27.958, 71 W\n" +
                                                  header + "2025/07/27 01:00:00.000, 72 W\n");
  const Read r = read(path, 2);
  ASSERT_EQ(r.samples.size(), 4u);
  EXPECT_EQ(r.samples[3].gpu, 0);
  EXPECT_EQ(r.result.rows_skipped, 0u);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0], path + ":5: repeated header line skipped (concatenated traces?)");
}

TEST(NvidiaSmiCsv, AnnouncesNewDevicesBeforeTheBatchThatHasThem) {
  TempFiles files;
  const auto path = files.write("uuids.csv",
                                "timestamp, uuid, power.draw [W]\n"
                                "2025/07/27 00:22:27.858, GPU-a, 70 W\n"
                                "2025/07/27 00:22:27.858, GPU-b, 71 W\n"
                                "2025/07/27 00:22:27.958, GPU-a, 72 W\n"
                                "2025/07/27 00:22:27.958, GPU-c, 73 W\n"
                                "2025/07/27 00:22:28.058, GPU-a, 74 W\n");
  std::vector<std::string> events;
  CsvReadOptions options;
  options.batch_rows = 2;
  options.on_devices = [&](std::span<const DeviceInfo> devices) {
    events.push_back("devices " + std::to_string(devices.size()) + " last " + devices.back().uuid);
  };
  const auto result = read_nvidia_smi_csv(path, options, [&](std::span<const Sample> batch) {
    events.push_back("batch " + std::to_string(batch.size()));
  });
  const std::vector<std::string> expected{"devices 2 last GPU-b", "batch 2", "devices 3 last GPU-c",
                                          "batch 2", "batch 1"};
  EXPECT_EQ(events, expected);
  EXPECT_EQ(result.devices.size(), 3u);
}

TEST(NvidiaSmiCsv, ReadsFilesLargerThanOneBlockAndReportsProgress) {
  TempFiles files;
  std::string text = "timestamp, power.draw [W], utilization.gpu [%]\n";
  constexpr int kRows = 40000;  // ~1.8 MB: lines straddle the 1 MiB read blocks
  for (int i = 0; i < kRows; ++i) {
    text += "2025/07/27 00:" + std::to_string(10 + i / 4000) + ":" + std::to_string(10 + i % 4000 / 100) +
            "." + std::to_string(100 + i % 100 * 5) + ", " + std::to_string(i % 500) + ".25 W, " +
            std::to_string(i % 101) + " %\n";
  }
  const auto path = files.write("big.csv", text);
  std::vector<std::uint64_t> progress;
  CsvReadOptions options;
  options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_EQ(total, text.size());
    progress.push_back(done);
  };
  const Read r = read(path, options);
  EXPECT_EQ(r.result.rows_read, static_cast<std::size_t>(kRows));
  EXPECT_EQ(r.result.rows_skipped, 0u) << (r.issues.empty() ? "" : r.issues[0]);
  ASSERT_EQ(r.samples.size(), static_cast<std::size_t>(kRows));
  for (int i : {0, 23456, kRows - 1}) {
    EXPECT_EQ(value(r.samples[i], Metric::power_w), i % 500 + 0.25) << i;
    EXPECT_EQ(value(r.samples[i], Metric::gpu_util_pct), i % 101) << i;
  }
  ASSERT_GE(progress.size(), 2u);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), text.size());
}

TEST(NvidiaSmiCsv, KeepsTheFirstHundredIssuesAndCountsAll) {
  TempFiles files;
  std::string text = "timestamp, power.draw [W]\n";
  for (int i = 0; i < 150; ++i) text += "2025/07/27 00:22:27.858, bad\n";
  const Read r = read(files.write("many.csv", text));
  EXPECT_EQ(r.result.rows_skipped, 150u);
  EXPECT_EQ(r.result.issue_count, 150u);
  EXPECT_EQ(r.result.issues.size(), 100u);
  EXPECT_EQ(r.result.issues.back().line, 101u);
}

void expect_fatal(const std::string& path, std::size_t line, const std::string& reason_part) {
  try {
    read(path);
    ADD_FAILURE() << "no ParseError for " << path;
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
  }
}

TEST(NvidiaSmiCsv, FailsOnlyWhenTheFileCannotBeUsedAtAll) {
  TempFiles files;
  expect_fatal((files.dir() / "missing.csv").string(), 0, "cannot open: No such file or directory");
  expect_fatal(files.dir().string(), 0, "is a directory");
  expect_fatal(files.write("empty.csv", ""), 0, "empty file");
  expect_fatal(files.write("blank.csv", "\n  \n"), 0, "empty file");
  expect_fatal(files.write("noheader.csv", "2025/07/27 00:22:27.858, 70 W\n"), 1, "no header line");
  expect_fatal(files.write("notime.csv", "\nindex, power.draw [W]\n0, 70 W\n"), 2, "no 'timestamp' column");
  expect_fatal(files.write("nometric.csv", "timestamp, index, name\n2025/07/27 00:22:27.858, 0, x\n"), 1,
               "no metric column gpuopt knows");
  // Input that would make the reader grow without bound, or work quadratically.
  std::string wide = "timestamp, power.draw [W]";
  for (int i = 0; i < 2000; ++i) wide += ", x";
  expect_fatal(files.write("wide.csv", wide + "\n"), 1, "header has 2002 columns");
  expect_fatal(files.write("long.csv", "timestamp, power.draw [W]\n2025/07/27 00:22:27.858, 70 W\n" +
                                           std::string(csv::kMaxLineBytes + 10, '9') + "\n"),
               3, "line longer than 4 MiB");
  expect_fatal(files.write("binary.csv", std::string(csv::kMaxLineBytes + 10, '\0')), 1, "line longer than");
}

TEST(NvidiaSmiCsv, RejectsValuesNoGpuReadsAndShortensQuotedFields) {
  TempFiles files;
  const auto path = files.write("odd.csv",
                                "timestamp, power.draw [W], temperature.gpu, clocks.sm [MHz]\n"
                                "2025/07/27 00:22:27.858, 300000, 40, 1400\n"
                                "2025/07/27 00:22:27.958, 300, -300, 1400\n"
                                "2025/07/27 00:22:28.058, 300, 40, 1e9\n"
                                "2025/07/27 00:22:28.158, 300, 40, 1400\n"
                                "2025/07/27 00:22:28.258, " + std::string(5000, '7') + "x, 40, 1400\n");
  const Read r = read(path);
  EXPECT_EQ(r.result.rows_read, 1u);
  ASSERT_EQ(r.issues.size(), 4u);
  EXPECT_EQ(r.issues[0],
            path + ":2: field 'power.draw [W]': implausible value '300000' (a GPU reads 0..10000 W; wrong unit?)");
  EXPECT_NE(r.issues[1].find("field 'temperature.gpu': implausible value '-300'"), std::string::npos);
  EXPECT_NE(r.issues[2].find("field 'clocks.sm [MHz]': implausible value '1e9'"), std::string::npos);
  EXPECT_LT(r.issues[3].size(), path.size() + 400) << "a huge field is quoted in full";
  EXPECT_TRUE(r.issues[3].ends_with("...")) << r.issues[3];
}

TEST(NvidiaSmiCsv, SaysWhenAGpusTimeRepeatsOrGoesBack) {
  TempFiles files;
  const auto path = files.write("order.csv",
                                "timestamp, index, power.draw [W]\n"
                                "2025/07/27 00:22:30.000, 0, 100 W\n"
                                "2025/07/27 00:22:30.000, 1, 100 W\n"
                                "2025/07/27 00:22:29.000, 0, 110 W\n"
                                "2025/07/27 00:22:31.000, 0, 120 W\n"
                                "2025/07/27 00:22:31.000, 0, 999 W\n");
  const Read r = read(path);
  EXPECT_EQ(r.result.rows_read, 5u);  // kept: the store decides, the reader reports
  const std::vector<std::string> expected{
      path + ":4: time 2025-07-27T00:22:29Z goes back from 2025-07-27T00:22:30Z on GPU 0 (row kept; a time "
             "seen before replaces that sample)",
      path + ":6: time 2025-07-27T00:22:31Z repeats the previous row of GPU 0: the store keeps one sample per "
             "GPU and time, this row replaces it",
  };
  EXPECT_EQ(r.issues, expected);
}

TEST(NvidiaSmiCsv, SaysWhenGpusDisagreesWithTheTimestamps) {
  TempFiles files;
  std::string text = "timestamp, power.draw [W]\n";
  for (int round = 0; round < 20; ++round) {  // 2 GPUs a round, rounds 100 ms apart
    for (int gpu = 0; gpu < 2; ++gpu)
      text += fmt::format("2025/07/27 00:22:{:02}.{:03}, 70 W\n", 27 + round / 10, (round % 10) * 100 + gpu * 2);
  }
  const auto path = files.write("two.csv", text);
  EXPECT_TRUE(read(path, 2).issues.empty());
  EXPECT_TRUE(read(path, 0).issues.empty());
  const Read wrong = read(path, 3);
  ASSERT_FALSE(wrong.issues.empty());
  EXPECT_EQ(wrong.issues[0], path + ":1: --gpus 3 disagrees with the timestamps, which look like 2 GPUs per "
                                    "sampling round; rows are assigned round-robin to 3 GPUs as asked");
}

TEST(NvidiaSmiCsv, RejectsANegativeGpuCount) {
  TempFiles files;
  EXPECT_THROW(read(files.write("ok.csv", "timestamp, power.draw [W]\n"), -1), UsageError);
}

}  // namespace
}  // namespace gpuopt
