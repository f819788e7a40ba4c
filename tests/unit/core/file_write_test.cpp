// write_file_atomically and csv_field.
#include "gpuopt/file_write.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gpuopt/csv_field.hpp"
#include "gpuopt/error.hpp"

namespace gpuopt {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class WriteFileAtomically : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gpuopt-file-write-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporary) {
  const fs::path p = dir_ / "out.csv";
  write_file_atomically(p.string(), "old\n", "test file");
  write_file_atomically(p.string(), "new\n", "test file");
  EXPECT_EQ(read(p), "new\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(WriteFileAtomically, AFailedWriteNamesTheFileAndKeepsTheOldOne) {
  const fs::path p = dir_ / "out.csv";
  write_file_atomically(p.string(), "old\n", "test file");
  // A directory in the way of the rename: the write fails, the directory stays.
  const fs::path blocked = dir_ / "blocked";
  fs::create_directories(blocked / "inside");
  try {
    write_file_atomically(blocked.string(), "x", "predictions file");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write predictions file " + blocked.string()), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_directory(blocked / "inside"));
  EXPECT_THROW(write_file_atomically((dir_ / "no-such-dir" / "f").string(), "x", "test file"), Error);
  EXPECT_EQ(read(p), "old\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);  // out.csv, blocked
}

TEST(CsvField, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

}  // namespace
}  // namespace gpuopt
