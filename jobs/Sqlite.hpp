#pragma once
// A thin RAII layer over the SQLite C API: one connection, prepared statements, transactions.
// Errors come back as values (ErrorCode::kIo) naming the database and what was being done.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace autonomy::jobs {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& o) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // 1-based parameter positions, as in SQLite.
  SqliteStatement& bind(int pos, std::string_view text);
  SqliteStatement& bind(int pos, std::int64_t value);
  SqliteStatement& bindOptional(int pos, const std::optional<std::string>& text);
  SqliteStatement& bindNull(int pos);

  // True when a row is available, false when done.
  Result<bool> step();
  // Runs to completion (statements without rows).
  Status run();

  std::string text(int col) const;  // 0-based column; "" for NULL
  std::optional<std::string> optionalText(int col) const;
  std::int64_t integer(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bindStatus_;
};

class SqliteDb {
 public:
  // Opens (creating) the file, WAL journal, foreign keys on, a busy timeout.
  static Result<std::unique_ptr<SqliteDb>> open(const std::filesystem::path& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(std::string_view sql);
  Result<SqliteStatement> prepare(std::string_view sql);
  std::int64_t changes() const;
  const std::filesystem::path& path() const { return path_; }

  // BEGIN IMMEDIATE ... COMMIT, rolled back when not committed.
  class Transaction {
   public:
    explicit Transaction(SqliteDb& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    const Status& begun() const { return begun_; }
    Status commit();

   private:
    SqliteDb& db_;
    Status begun_;
    bool done_ = false;
  };

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  Error error(std::string_view what) const;

  sqlite3* db_;
  std::filesystem::path path_;
};

}  // namespace autonomy::jobs
