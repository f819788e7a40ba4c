// Readers of the power data sets: grouping, and errors that name file, line and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gpuopt/error.hpp"
#include "gpuopt/power/data.hpp"

namespace gpuopt::power {
namespace {

namespace fs = std::filesystem;

class DataFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuopt_power_data_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

constexpr const char* kHeader =
    "dataset,network,batch_size,optimizer,power_limit,time_per_epoch,average_power\n";

std::string parse_error(const std::string& spec) {
  try {
    load_power_file(spec);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

// An endless "file" (here /dev/zero under a known name) stops at the size cap instead of hanging.
TEST_F(DataFiles, AnEndlessFileIsAnError) {
  for (const char* name : {"summary_power_v100.csv", "v100-dvfs-real-profile.csv"}) {
    const fs::path link = dir_ / name;
    fs::create_symlink("/dev/zero", link);
    EXPECT_NE(parse_error(link.string()).find("larger than 256 MiB"), std::string::npos) << name;
  }
}

TEST_F(DataFiles, ZeusSummaryGroupsJobsAndNamesTheGpuByFileName) {
  const auto path = write("summary_power_t4.csv", std::string(kHeader) +
                                                      "cifar100,shufflenetv2,128,adam,150,10,120\n"
                                                      "cifar100,shufflenetv2,128,adam,100,12,95\n"
                                                      "cifar100,shufflenetv2,128,adam,150,12,130\n"
                                                      "cifar100,shufflenetv2,256,adam,100,8,99\n");
  const auto curves = load_power_file(path);
  ASSERT_EQ(curves.size(), 2U);
  EXPECT_EQ(curves[0].gpu, "t4");
  EXPECT_EQ(curves[0].key(), "t4/cifar100/shufflenetv2/bs128/adam");
  EXPECT_EQ(curves[0].iterations_per_unit, 391);  // ceil(50000 / 128)
  ASSERT_EQ(curves[0].points.size(), 2U);
  EXPECT_EQ(curves[0].points[0].knob, 100);
  EXPECT_DOUBLE_EQ(curves[0].points[1].time_s, 11);  // the two 150 W rows averaged
  EXPECT_EQ(load_power_file("L4=" + path).front().gpu, "l4");
}

TEST_F(DataFiles, SummaryTrainGivesTheMedianEpochsToTarget) {
  const auto path = write("summary_power_t4.csv", std::string(kHeader) +
                                                      "imagenet,resnet50,64,adadelta,100,5,90\n"
                                                      "imagenet,resnet50,64,adadelta,200,4,150\n");
  write("summary_train.csv",
        "dataset,network,batch_size,optimizer,learning_rate,run,target_metric,target_epoch\n"
        "imagenet,resnet50,64,adadelta,1e-1,1,0.65,30\n"
        "imagenet,resnet50,64,adadelta,1e-1,2,0.65,40\n"
        "imagenet,resnet50,64,adadelta,1e-1,3,0.65,nan\n"
        "imagenet,resnet50,64,adadelta,1e-1,1,0.5,10\n");
  EXPECT_DOUBLE_EQ(load_power_file(path).front().units_per_job, 35);
}

TEST_F(DataFiles, BadNumbersNameFileLineAndField) {
  const auto path = write("summary_power_t4.csv", std::string(kHeader) +
                                                      "cifar100,shufflenetv2,128,adam,150,10,120\n"
                                                      "cifar100,shufflenetv2,128,adam,100,abc,95\n");
  EXPECT_EQ(parse_error(path), path + ":3: field 'time_per_epoch': 'abc' is not a number");
}

TEST_F(DataFiles, NonPositiveAndMissingValuesAreRefused) {
  const auto negative = write("summary_power_a.csv", std::string(kHeader) + "squad,bert,8,adamw,-5,10,120\n");
  EXPECT_EQ(parse_error(negative), negative + ":2: field 'power_limit': -5 is not positive");
  const auto short_row = write("summary_power_b.csv", std::string(kHeader) + "squad,bert,8,adamw,100\n");
  EXPECT_NE(parse_error(short_row).find(":2: row has 5 fields, expected 7"), std::string::npos);
  const auto long_row =
      write("summary_power_c.csv", std::string(kHeader) + "squad,bert,8,adamw,100,10,120,x\n");
  EXPECT_NE(parse_error(long_row).find(":2: row has 8 fields, expected 7"), std::string::npos);
  // A value in another unit (mW under W) would stretch the optimizers' setting grids without bound.
  const auto milliwatts =
      write("summary_power_d.csv", std::string(kHeader) + "squad,bert,8,adamw,250000,10,120\n");
  EXPECT_EQ(parse_error(milliwatts), milliwatts +
                                         ":2: field 'power_limit': 250000 W is implausible for a GPU run "
                                         "(must be in (0, 10000] W; wrong unit?)");
}

TEST_F(DataFiles, AnAbsurdBatchSizeIsRefusedNotWrapped) {
  const auto path =
      write("summary_power_v100.csv", std::string(kHeader) + "squad,bert,1e10,adamw,250,10,120\n");
  EXPECT_EQ(parse_error(path), path +
                                   ":2: field 'batch_size': 1e+10 is implausible for a batch size "
                                   "(must be at most 1000000)");
}

TEST_F(DataFiles, MissingColumnAndUnknownDataset) {
  const auto no_column = write("summary_power_c.csv", "dataset,network\nsquad,bert\n");
  EXPECT_EQ(parse_error(no_column), no_column + ":1: field 'batch_size': missing column");
  const auto unknown = write("summary_power_d.csv", std::string(kHeader) + "mnist,lenet,8,sgd,100,1,50\n");
  EXPECT_NE(parse_error(unknown).find(":2: field 'dataset': unknown dataset 'mnist'"), std::string::npos);
}

TEST_F(DataFiles, OtherFormatsAreRecognised) {
  const auto profile = write("A40+resnet50+gpu0,1.csv",
                             "start_time,window_name,elapsed_time,gpu0_energy,gpu1_energy\n"
                             "1,__GlobalPowerLimitOptimizer_300,10,2000,2200\n"
                             "2,__GlobalPowerLimitOptimizer_250,11,1900,2000\n");
  const auto windows = load_power_file(profile);
  ASSERT_EQ(windows.size(), 1U);
  EXPECT_EQ(windows[0].gpu, "a40");
  EXPECT_DOUBLE_EQ(windows[0].points.back().avg_power_w, 210);  // (2000 + 2200) / 2 GPUs / 10 s
  const auto blocks =
      write("aggregated_dataset_gtxtitanx.csv", "fft\n810,595,20,80,1600\n810,633,19,84,1596\n");
  const auto clocks = load_power_file(blocks);
  EXPECT_EQ(clocks[0].knob, Knob::sm_clock_mhz);
  EXPECT_EQ(clocks[0].gpu, "gtxtitanx");
  EXPECT_DOUBLE_EQ(clocks[0].points[0].time_s, 0.02);
  const auto other = write("notes.csv", "a,b\n1,2\n");
  EXPECT_THROW(load_power_file(other), UsageError);
  const auto block_error = write("aggregated_dataset_x.csv", "fft\n810,595,20\n");
  EXPECT_NE(parse_error(block_error).find(":2: expected 5 fields"), std::string::npos);
}

TEST_F(DataFiles, ANearMissHeaderNamesTheMissingColumnsAndAByteOrderMarkIsRead) {
  const auto renamed = write("sweep.csv",
                             "dataset,network,batch_size,optimizer,powr_limit,time_per_epoch,"
                             "average_power\nsquad,bert,8,adamw,100,10,120\n");
  try {
    load_power_file("v100=" + renamed);
    FAIL() << "expected an error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("looks like a Zeus summary but lacks column power_limit"),
              std::string::npos)
        << e.what();
  }
  const auto bom =
      write("bom.csv", "\xEF\xBB\xBF" + std::string(kHeader) + "squad,bert,8,adamw,100,10,120\n");
  EXPECT_EQ(load_power_file("v100=" + bom).size(), 1u);
}

}  // namespace
}  // namespace gpuopt::power
