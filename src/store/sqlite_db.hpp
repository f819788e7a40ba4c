// The store's only window on SQLite: a connection with a cache of prepared statements, a
// handle to run one cached statement, and a write transaction. Internal to src/store (and its
// tests); no SQLite type appears outside sqlite_db.cpp.
//
// Every failure throws StoreError naming the database path; SQLITE_NOTADB / SQLITE_CORRUPT
// become "PATH is not a SQLite database or is corrupt (...)". Not thread-safe: one Database
// per thread (the connection is opened without SQLite's mutexes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace gpuopt::store {

class Database;

// One use of a cached prepared statement: bind (1-based, as ?1 ?2 in SQL), step, read the
// current row's columns (0-based), and optionally reset() to run it again. The destructor
// resets the statement and clears its bindings, so the next use starts clean. Must not
// outlive its Database.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::optional<double> value);  // nullopt binds NULL
  Statement& bind(int index, std::string_view text);

  // Advances to the next row: true if there is one, false when the statement is done.
  bool step();
  // Steps through a statement that returns no rows (INSERT/UPDATE/DELETE).
  void run();
  // Rewinds to run again; bindings keep their values until rebound (cheaper than a new use
  // when every parameter is bound again).
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::optional<double> optional_real(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::string text(int column) const;

 private:
  friend class Database;
  Statement(const Database& db, sqlite3_stmt* stmt, bool* in_use);
  void check_bind(int rc, int index) const;

  const Database& db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

class Database {
 public:
  enum class Access { read_write_create, read_only };

  // Opens the file; SQLite reads nothing yet, so a bad file is detected by the first query.
  // Throws StoreError for a path that exists but is not a regular file (a FIFO, a device).
  // Sets busy_timeout so concurrent writers/checkpoints are waited for instead of failing.
  Database(std::string path, Access access, int busy_timeout_ms = 10000);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();  // finalizes cached statements, then closes

  const std::string& path() const { return path_; }

  // How long a statement waits for another connection's lock before failing with "locked".
  void set_busy_timeout(int busy_timeout_ms);

  // Runs one or more statements that return nothing (DDL, BEGIN/COMMIT, pragmas).
  void exec(const std::string& sql);

  // Returns the cached prepared statement for `sql` (preparing it on first use). A statement
  // may be in use only once at a time; nested use of the same SQL is a logic_error.
  Statement prepare(const std::string& sql);

  // A pragma's single value (e.g. "application_id", "journal_mode=WAL").
  std::string pragma_text(const std::string& pragma);
  std::int64_t pragma_int(const std::string& pragma);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const;

  // Throws StoreError "PATH: CONTEXT: sqlite message" (or the not-a-database message).
  [[noreturn]] void fail(std::string_view context, int rc) const;

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  void close() noexcept;

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
};

// BEGIN IMMEDIATE (takes the write lock up front, waiting up to busy_timeout); rolls back in
// the destructor unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace gpuopt::store
