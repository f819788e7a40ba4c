#include "sqlite_db.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::store {
namespace {

// Error context: a statement's first line, cut to keep the message on one readable line.
std::string short_sql(std::string_view sql) {
  constexpr std::size_t kMax = 70;
  std::string_view line = sql.substr(0, sql.find('\n'));
  if (line.size() <= kMax) return std::string(line);
  return std::string(line.substr(0, kMax)) + "...";
}

}  // namespace

Statement::Statement(const Database& db, sqlite3_stmt* stmt, bool* in_use)
    : db_(db), stmt_(stmt), in_use_(in_use) {
  *in_use_ = true;
}

Statement::~Statement() {
  // The step's error (if any) was already reported by step(); reset only repeats it.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Statement::check_bind(int rc, int index) const {
  if (rc != SQLITE_OK) db_.fail(fmt::format("bind ?{} of {}", index, short_sql(sqlite3_sql(stmt_))), rc);
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::optional<double> value) {
  check_bind(value ? sqlite3_bind_double(stmt_, index, *value) : sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(short_sql(sqlite3_sql(stmt_)), rc);
}

void Statement::run() {
  while (step()) {
  }
}

// The last step's error (if any) was already reported by step(); reset only repeats it.
void Statement::reset() { sqlite3_reset(stmt_); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Database::Database(std::string path, Access access, int busy_timeout_ms) : path_(std::move(path)) {
  std::error_code status_error;
  const auto type = std::filesystem::status(path_, status_error).type();
  if (status_error && type != std::filesystem::file_type::not_found)  // a symlink loop, no permission
    throw StoreError(fmt::format("{}: cannot open: {}", path_, status_error.message()));
  if (type != std::filesystem::file_type::not_found && type != std::filesystem::file_type::regular) {
    // SQLite would block on a FIFO and write journal files beside /dev/null.
    throw StoreError(fmt::format("{}: not a regular file; the store is an SQLite database file", path_));
  }
  // NOMUTEX: a connection is used by one thread only (see Store's contract).
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= access == Access::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    std::error_code ec;
    if (access == Access::read_only && !std::filesystem::exists(path_, ec)) reason = "no such file";
    throw StoreError(fmt::format("{}: cannot open: {}", path_, reason));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Database::~Database() { close(); }

void Database::set_busy_timeout(int busy_timeout_ms) { sqlite3_busy_timeout(db_, busy_timeout_ms); }

void Database::close() noexcept {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached->stmt);
  cache_.clear();
  // sqlite3_close (not _v2) fails only if statements are left, and all were finalized above.
  if (db_ != nullptr) sqlite3_close(db_);
  db_ = nullptr;
}

void Database::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return;
  const std::string reason = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) fail(sql, rc);
  throw StoreError(fmt::format("{}: {}: {}", path_, short_sql(sql), reason));
}

Statement Database::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(fmt::format("prepare {}", short_sql(sql)), rc);
    auto cached = std::make_unique<Cached>();
    cached->stmt = stmt;
    it = cache_.emplace(sql, std::move(cached)).first;
  }
  Cached& cached = *it->second;
  if (cached.in_use) throw std::logic_error("store: statement used while already in use: " + sql);
  return Statement(*this, cached.stmt, &cached.in_use);
}

std::string Database::pragma_text(const std::string& pragma) {
  auto st = prepare("PRAGMA " + pragma);
  return st.step() ? st.text(0) : std::string();
}

std::int64_t Database::pragma_int(const std::string& pragma) {
  auto st = prepare("PRAGMA " + pragma);
  return st.step() ? st.int64(0) : 0;
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

void Database::fail(std::string_view context, int rc) const {
  const std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw StoreError(fmt::format("{} is not a SQLite database or is corrupt ({})", path_, reason));
  }
  throw StoreError(fmt::format("{}: {}: {}", path_, context, reason));
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const StoreError&) {
    // A failed statement may already have rolled the transaction back; nothing is left to undo.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace gpuopt::store
