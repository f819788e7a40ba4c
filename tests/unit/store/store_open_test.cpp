// Opening stores: creation, identification of foreign/damaged files, versions, modes.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/store.hpp"
#include "schema.hpp"
#include "sqlite_db.hpp"
#include "store_test_support.hpp"

namespace gpuopt::test {
namespace {

using store::Database;

// Expects Store::open to throw StoreError whose message contains each of `parts`.
void expect_open_error(const std::string& path, Store::Mode mode, const std::vector<std::string>& parts) {
  try {
    Store::open(path, mode);
    FAIL() << "expected StoreError for " << path;
  } catch (const StoreError& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  return names;
}

using StoreOpenTest = StoreTest;

TEST_F(StoreOpenTest, CreatesIdentifiedWalStore) {
  { Store::open(path()); }
  Database db(path(), Database::Access::read_only);
  EXPECT_EQ(db.pragma_int("application_id"), store::kApplicationId);
  EXPECT_EQ(db.pragma_int("user_version"), store::kSchemaVersion);
  EXPECT_EQ(db.pragma_text("journal_mode"), "wal");
  // Set before the switch to WAL writes the first page; later it would be ignored.
  EXPECT_EQ(db.pragma_int("page_size"), 8192);
}

TEST_F(StoreOpenTest, SamplesColumnsFollowMetricOrder) {
  { Store::open(path()); }
  Database db(path(), Database::Access::read_only);
  std::vector<std::string> columns;
  {
    auto st = db.prepare("SELECT name FROM pragma_table_info('samples') ORDER BY cid");
    while (st.step()) columns.push_back(st.text(0));
  }
  std::vector<std::string> expected{"device_id", "time_ms"};
  for (const auto& info : all_metrics()) expected.emplace_back(info.column);
  EXPECT_EQ(columns, expected);
}

// A device or FIFO would block SQLite or get journal files written beside it.
TEST_F(StoreOpenTest, ANonRegularFileIsRefused) {
  for (const auto mode : {Store::Mode::read_write, Store::Mode::read_only}) {
    try {
      Store::open("/dev/null", mode);
      ADD_FAILURE() << "opened /dev/null";
    } catch (const StoreError& e) {
      EXPECT_STREQ(e.what(), "/dev/null: not a regular file; the store is an SQLite database file");
    }
  }
}

TEST_F(StoreOpenTest, ReopensAndKeepsData) {
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa")};
  {
    auto s = Store::open(path());
    const auto ids = s.register_devices(devices, "sim@test");
    const std::vector<Sample> samples{make_sample(0, kT0, {{Metric::power_w, 100}})};
    s.append(ids, samples);
  }
  const auto s = Store::open(path(), Store::Mode::read_only);
  const auto stored = s.devices();
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0].sample_count, 1);
}

TEST_F(StoreOpenTest, GarbageFileIsRejectedAndUntouched) {
  const std::string bytes = "time,power\n1,2\nthis is not a database at all, just some text\n";
  write_bytes(path(), bytes);
  expect_open_error(path(), Store::Mode::read_write, {path(), "is not a SQLite database or is corrupt"});
  expect_open_error(path(), Store::Mode::read_only, {path(), "is not a SQLite database or is corrupt"});
  EXPECT_EQ(read_bytes(path()), bytes);
  EXPECT_EQ(files_in(dir_), std::vector<std::string>{"gpuopt.db"});
}

TEST_F(StoreOpenTest, DamagedSqliteHeaderIsRejectedAndUntouched) {
  std::string bytes("SQLite format 3", 16);
  bytes += std::string(4096 - bytes.size(), '\x7f');
  write_bytes(path(), bytes);
  expect_open_error(path(), Store::Mode::read_write, {path(), "is not a SQLite database or is corrupt"});
  EXPECT_EQ(read_bytes(path()), bytes);
}

TEST_F(StoreOpenTest, ForeignDatabaseIsRejectedAndUntouched) {
  {
    Database db(path(), Database::Access::read_write_create);
    db.exec(
        "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places VALUES (1, 'x')");
  }
  const std::string before = read_bytes(path());
  expect_open_error(path(), Store::Mode::read_write, {path(), "is not a gpuopt store", "moz_places"});
  EXPECT_EQ(read_bytes(path()), before);
}

TEST_F(StoreOpenTest, OtherApplicationIdIsRejected) {
  {
    Database db(path(), Database::Access::read_write_create);
    db.exec("PRAGMA application_id = 12345; CREATE TABLE t (x)");
  }
  const std::string before = read_bytes(path());
  expect_open_error(path(), Store::Mode::read_write, {"is not a gpuopt store", "application_id 0x00003039"});
  EXPECT_EQ(read_bytes(path()), before);
}

TEST_F(StoreOpenTest, NewerSchemaIsRejected) {
  { Store::open(path()); }
  {
    Database db(path(), Database::Access::read_write_create);
    db.exec("PRAGMA user_version = 99");
  }
  expect_open_error(path(), Store::Mode::read_write, {"newer gpuopt", "schema version 99"});
  expect_open_error(path(), Store::Mode::read_only, {"newer gpuopt"});
}

TEST_F(StoreOpenTest, ReadOnlyMissingFileThrowsAndCreatesNothing) {
  expect_open_error(path(), Store::Mode::read_only, {path(), "cannot open"});
  EXPECT_TRUE(files_in(dir_).empty());
}

TEST_F(StoreOpenTest, ReadOnlyEmptyFileIsNotAStoreYet) {
  write_bytes(path(), "");
  expect_open_error(path(), Store::Mode::read_only, {path(), "no gpuopt store"});
  EXPECT_EQ(read_bytes(path()), "");
}

TEST_F(StoreOpenTest, ReadOnlyStoreRefusesWrites) {
  { Store::open(path()); }
  auto s = Store::open(path(), Store::Mode::read_only);
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa")};
  EXPECT_THROW(s.register_devices(devices, "sim@test"), StoreError);
  EXPECT_TRUE(s.devices().empty());
}

TEST_F(StoreOpenTest, MovedStoreKeepsWorking) {
  auto a = Store::open(path());
  Store b = std::move(a);
  EXPECT_EQ(b.path(), path());
  const std::vector<DeviceInfo> devices{make_device(0, "GPU-aaaa")};
  EXPECT_EQ(b.register_devices(devices, "sim@test").size(), 1U);
  a = std::move(b);
  EXPECT_EQ(a.devices().size(), 1U);
}

}  // namespace
}  // namespace gpuopt::test
