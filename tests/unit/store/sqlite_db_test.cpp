// The SQLite wrapper's statement reuse: reset() keeps bindings, a new use starts clean.
#include <gtest/gtest.h>

#include "sqlite_db.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using store::Database;

TEST_F(StoreTest, ResetKeepsBindingsUntilRebound) {
  Database db(path(), Database::Access::read_write_create);
  auto st = db.prepare("SELECT ?1, ?2");
  st.bind(1, std::int64_t{1}).bind(2, std::int64_t{2});
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 1);
  st.reset();
  st.bind(1, std::int64_t{5});
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 5);
  EXPECT_EQ(st.int64(1), 2);
  EXPECT_FALSE(st.step());
}

TEST_F(StoreTest, NextUseOfACachedStatementStartsWithoutBindings) {
  Database db(path(), Database::Access::read_write_create);
  {
    auto st = db.prepare("SELECT ?1");
    st.bind(1, std::int64_t{7});
    ASSERT_TRUE(st.step());
  }
  auto st = db.prepare("SELECT ?1");
  ASSERT_TRUE(st.step());
  EXPECT_TRUE(st.is_null(0));
}

}  // namespace
}  // namespace gpuopt::test
