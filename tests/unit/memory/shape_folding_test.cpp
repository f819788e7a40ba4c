#include "shape_folding.hpp"

#include <gtest/gtest.h>

namespace gpuopt::memory {
namespace {

SmallTensor ints(std::vector<double> values) {
  return {ValueType::int64, {static_cast<std::int64_t>(values.size())}, std::move(values)};
}
SmallTensor scalar(double value, ValueType type = ValueType::int64) { return {type, {}, {value}}; }

std::vector<double> values_of(const std::optional<SmallTensor>& t) {
  return t ? t->values : std::vector<double>{-999};
}

TEST(ShapeFolding, ComputesAReshapeTargetFromAShape) {
  const SmallTensor shape = ints({8, 3, 224, 224});
  const SmallTensor index = scalar(2);
  const auto h = fold_op("Gather", {&shape, &index}, {});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->dims.empty());
  const SmallTensor patch = scalar(16);
  const auto n_h = fold_op("Div", {&*h, &patch}, {});
  EXPECT_EQ(values_of(n_h), std::vector<double>{14});
  FoldAttributes unsqueeze;
  unsqueeze.axes = {0};
  const auto dim = fold_op("Unsqueeze", {&*n_h}, unsqueeze);
  ASSERT_TRUE(dim);
  EXPECT_EQ(dim->dims, std::vector<std::int64_t>{1});
  const SmallTensor batch = ints({8});
  const auto target = fold_op("Concat", {&batch, &*dim}, {});
  EXPECT_EQ(values_of(target), (std::vector<double>{8, 14}));
}

TEST(ShapeFolding, IntegerDivisionTruncatesAndCastConverts) {
  const SmallTensor a = scalar(7);
  const SmallTensor b = scalar(2);
  EXPECT_EQ(values_of(fold_op("Div", {&a, &b}, {})), std::vector<double>{3});
  const SmallTensor f = scalar(7, ValueType::float32);
  const SmallTensor g = scalar(2, ValueType::float32);
  EXPECT_EQ(values_of(fold_op("Div", {&f, &g}, {})), std::vector<double>{3.5});
  FoldAttributes to_int;
  to_int.cast_to = ValueType::int64;
  const auto quotient = fold_op("Div", {&f, &g}, {});
  ASSERT_TRUE(quotient);
  EXPECT_EQ(values_of(fold_op("Cast", {&*quotient}, to_int)), std::vector<double>{3});
  const SmallTensor zero = scalar(0);
  EXPECT_FALSE(fold_op("Div", {&a, &zero}, {}));
}

TEST(ShapeFolding, ExpandTargetWithMinusOnes) {
  // torch's expand(n, -1, -1): Where(Equal(shape, -1), ones, shape).
  const SmallTensor shape = ints({8, -1, -1});
  const SmallTensor minus_one = scalar(-1);
  const auto is_minus_one = fold_op("Equal", {&shape, &minus_one}, {});
  ASSERT_TRUE(is_minus_one);
  EXPECT_EQ(is_minus_one->type, ValueType::boolean);
  const SmallTensor three = ints({3});
  FoldAttributes ones;
  ones.fill = scalar(1);
  const auto filled = fold_op("ConstantOfShape", {&three}, ones);
  EXPECT_EQ(values_of(filled), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(values_of(fold_op("Where", {&*is_minus_one, &*filled, &shape}, {})),
            (std::vector<double>{8, 1, 1}));
}

TEST(ShapeFolding, SliceSqueezeAndReshape) {
  const SmallTensor shape = ints({8, 197, 768});
  const SmallTensor start = ints({-2});
  const SmallTensor end = ints({9000});
  EXPECT_EQ(values_of(fold_op("Slice", {&shape, &start, &end}, {})), (std::vector<double>{197, 768}));
  const SmallTensor one = ints({5});
  const SmallTensor axes = ints({0});
  const auto squeezed = fold_op("Squeeze", {&one, &axes}, {});
  ASSERT_TRUE(squeezed);
  EXPECT_TRUE(squeezed->dims.empty());
  const SmallTensor target = ints({2, -1});
  const SmallTensor four = ints({1, 2, 3, 4});
  const auto reshaped = fold_op("Reshape", {&four, &target}, {});
  ASSERT_TRUE(reshaped);
  EXPECT_EQ(reshaped->dims, (std::vector<std::int64_t>{2, 2}));
}

TEST(ShapeFolding, UnknownOpsInputsAndLargeResultsStayUnknown) {
  const SmallTensor a = ints({1, 2});
  EXPECT_FALSE(fold_op("Conv", {&a}, {}));
  EXPECT_FALSE(fold_op("Add", {&a, nullptr}, {}));
  const SmallTensor big = ints({1000});
  FoldAttributes fill;
  EXPECT_FALSE(fold_op("ConstantOfShape", {&big}, fill));
  const SmallTensor mismatched = ints({1, 2, 3});
  EXPECT_FALSE(fold_op("Add", {&a, &mismatched}, {}));
}

}  // namespace
}  // namespace gpuopt::memory
