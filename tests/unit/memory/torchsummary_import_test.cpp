#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/importers.hpp"
#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

using test::TempDir;

const std::string kRule(64, '-');
const std::string kDouble(64, '=');

std::string summary(const std::string& rows, const std::string& total) {
  return kRule + "\n        Layer (type)               Output Shape         Param #\n" + kDouble + "\n" +
         rows + kDouble + "\nTotal params: " + total + "\nTrainable params: " + total +
         "\nNon-trainable params: 0\n" + kRule + "\nInput size (MB): 0.01\n" + kRule + "\n";
}

const std::string kRows =
    "            Conv2d-1           [-1, 64, 16, 16]           9,408\n"
    "       BatchNorm2d-2           [-1, 64, 16, 16]             128\n"
    "              ReLU-3           [-1, 64, 16, 16]               0\n"
    "        BasicBlock-4           [-1, 64, 16, 16]               0\n"
    "     SplitOutputs-5       [[-1, 10], [-1, 20]]               0\n"
    "            Linear-6                  [-1, 100]       1,179,776\n";

// what() after the file name of the error importing `text`.
std::string import_error(const TempDir& dir, const std::string& text) {
  const auto path = dir.write("net_64.model", text);
  try {
    import_torchsummary(path, 64);
  } catch (const ParseError& e) {
    return std::string(e.what()).substr(path.size());
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(TorchsummaryImport, ReadsRowsAndTotals) {
  TempDir dir;
  std::string text = "\n";  // a leading blank line; "\n" + summary(...) trips a false GCC 12 -Wrestrict
  text += summary(kRows, "1,189,312");
  const Task t = import_torchsummary(dir.write("net_64.model", text), 32);
  EXPECT_EQ(t.id, "torchsummary/net_64/bs32");
  EXPECT_EQ(t.model, "net_64");
  EXPECT_EQ(t.family, "net");
  EXPECT_EQ(t.source, "torchsummary");
  EXPECT_EQ(t.batch_size, 32);
  EXPECT_EQ(t.params, 1189312);
  ASSERT_EQ(t.layers.size(), 5u);  // the parameterless BasicBlock container is left out
  EXPECT_EQ(t.layers[0].kind, "Conv2d");
  EXPECT_EQ(t.layers[0].output_elements, 64 * 16 * 16);
  EXPECT_EQ(t.layers[0].params, 9408);
  EXPECT_EQ(t.layers[3].kind, "SplitOutputs");
  EXPECT_EQ(t.layers[3].output_elements, 30);
  EXPECT_EQ(t.layers[4].params, 1179776);
}

TEST(TorchsummaryImport, TextWithoutTableNamesFileAndLine) {
  TempDir dir;
  EXPECT_EQ(import_error(dir, "hello\nworld\n"),
            ":2: no torchsummary table (a 'Layer (type)  Output Shape  Param #' header) before the end");
  EXPECT_EQ(import_error(dir, ""),
            ":1: no torchsummary table (a 'Layer (type)  Output Shape  Param #' header) before the end");
}

TEST(TorchsummaryImport, MalformedRowNamesItsLine) {
  TempDir dir;
  const std::string rows = kRows + "            Linear-7                  [-1, x]             10\n";
  EXPECT_EQ(import_error(dir, summary(rows, "1,189,322")),
            ":10: malformed row (expected 'Kind-N  [-1, dims...]  params')");
}

TEST(TorchsummaryImport, AbsurdShapesAndCountsAreMalformedRows) {
  TempDir dir;
  const std::string malformed = ":10: malformed row (expected 'Kind-N  [-1, dims...]  params')";
  for (const char* row : {"  Linear-7  [-1, 4294967296, 4294967296, 4294967296]  0\n",  // overflows
                          "  Linear-7  [[[[]]]]  0\n",                                  // no size
                          "  Linear-7  [-1, 10]  1,8,4,96\n",                           // bad grouping
                          "  Linear-7  [-1, 10]  9223372036854775807\n"}) {             // past 2^40
    EXPECT_EQ(import_error(dir, summary(kRows + row, "1,189,312")), malformed) << row;
  }
}

TEST(TorchsummaryImport, TotalMustMatchTheRows) {
  TempDir dir;
  EXPECT_EQ(import_error(dir, summary(kRows, "1,000")),
            ":11: field 'Total params': 1000 differs from the sum of the rows' parameters, 1189312");
}

TEST(TorchsummaryImport, TableWithoutClosingRuleOrTotal) {
  TempDir dir;
  const std::string head =
      "        Layer (type)               Output Shape         Param #\n" + kDouble + "\n";
  EXPECT_EQ(import_error(dir, head + kRows), ":8: the table ends without a '=====' rule");
  EXPECT_EQ(import_error(dir, head + kRows + kDouble + "\n"),
            ":9: field 'Total params': missing after the table");
}

TEST(TorchsummaryImport, RejectsBadBatchSize) {
  TempDir dir;
  EXPECT_THROW(import_torchsummary(dir.write("n.model", summary(kRows, "1,189,312")), 0), UsageError);
}

}  // namespace
}  // namespace gpuopt::memory
