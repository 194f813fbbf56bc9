#include "jobs/Sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace autonomy::jobs {

namespace {
Error dbError(sqlite3* db, std::string_view what) {
  return makeError(ErrorCode::kIo, "job database: " + std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

SqliteStatement::SqliteStatement(SqliteStatement&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), bindStatus_(std::move(o.bindStatus_)) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int pos, std::string_view text) {
  if (sqlite3_bind_text(stmt_, pos, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK &&
      bindStatus_)
    bindStatus_ = dbError(db_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int pos, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, pos, value) != SQLITE_OK && bindStatus_) bindStatus_ = dbError(db_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bindOptional(int pos, const std::optional<std::string>& text) {
  return text ? bind(pos, std::string_view(*text)) : bindNull(pos);
}

SqliteStatement& SqliteStatement::bindNull(int pos) {
  if (sqlite3_bind_null(stmt_, pos) != SQLITE_OK && bindStatus_) bindStatus_ = dbError(db_, "bind");
  return *this;
}

Result<bool> SqliteStatement::step() {
  if (!bindStatus_) return bindStatus_.error();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return dbError(db_, sqlite3_sql(stmt_));
}

Status SqliteStatement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return {};
  }
}

std::string SqliteStatement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> SqliteStatement::optionalText(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return text(col);
}

std::int64_t SqliteStatement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    if (raw) sqlite3_close(raw);
    return makeError(ErrorCode::kIo, "job database " + path.string() + ": open: " + msg);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_busy_timeout(raw, 5000);
  // WAL: readers never block the writer; NORMAL sync survives a process crash (kill -9) and
  // loses at most the last commits on a power cut, never consistency.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto st = db->exec(pragma); !st) return st.error();
  }
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

Error SqliteDb::error(std::string_view what) const { return dbError(db_, what); }

Status SqliteDb::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string detail = msg ? msg : "error";
    sqlite3_free(msg);
    return makeError(ErrorCode::kIo, "job database " + path_.string() + ": " + detail + " (in: " + text + ")");
  }
  return {};
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    return error("prepare " + std::string(sql));
  return SqliteStatement(db_, stmt);
}

std::int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

SqliteDb::Transaction::Transaction(SqliteDb& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}

SqliteDb::Transaction::~Transaction() {
  if (begun_ && !done_) (void)db_.exec("ROLLBACK");
}

Status SqliteDb::Transaction::commit() {
  if (!begun_) return begun_;
  done_ = true;
  return db_.exec("COMMIT");
}

}  // namespace autonomy::jobs
