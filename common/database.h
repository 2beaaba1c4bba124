// Database: the small storage interface every service uses.
//
// SQL is written with `?` placeholders and values are always bound, never
// spliced into the text. A SqlExecutor runs statements either on a pooled
// connection (Database itself) or inside a transaction (the executor passed
// to Transaction's body). Implementations: SqliteDatabase (embedded
// default); a PostgreSQL one can follow behind the same interface.
//
//   Status s = db.Transaction([&](SqlExecutor& tx) -> Status {
//     RETURN_IF_ERROR(tx.Execute("INSERT INTO t(a) VALUES (?)", {"x"}).status());
//     return audit.Append(tx, event);
//   });
//
// Error mapping: a unique-constraint violation is kAlreadyExists; a locked
// or unreachable database is kUnavailable; anything else is kInternal with
// a message that names the operation, not the data.
//
// Thread-safety: a Database is safe to use from many threads; a SqlExecutor
// given to a transaction body belongs to that body's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"

namespace latchkey {

// NULL, INTEGER, TEXT or BLOB.
using SqlValue = std::variant<std::nullptr_t, int64_t, std::string, Bytes>;
using SqlParams = std::vector<SqlValue>;

// One result row; columns in SELECT order. Accessors return a neutral value
// (0, "", {}) for NULL so callers check IsNull where NULL means something.
class Row {
 public:
  explicit Row(std::vector<SqlValue> columns) : columns_(std::move(columns)) {}
  size_t size() const { return columns_.size(); }
  bool IsNull(size_t i) const;
  int64_t Int(size_t i) const;
  std::string Text(size_t i) const;
  Bytes Blob(size_t i) const;

 private:
  std::vector<SqlValue> columns_;
};

enum class SqlDialect { kSqlite, kPostgres };

class SqlExecutor {
 public:
  virtual ~SqlExecutor() = default;
  // Runs a SELECT (or RETURNING statement) and returns all rows.
  virtual Result<std::vector<Row>> Query(std::string_view sql, const SqlParams& params = {}) = 0;
  // Runs a statement and returns the number of rows it changed.
  virtual Result<int64_t> Execute(std::string_view sql, const SqlParams& params = {}) = 0;
  // Inside a transaction: waits until no other transaction holds `key`,
  // then holds it until this one ends. For read-then-write sequences that
  // must not interleave (an audit chain's next link). SQLite's transactions
  // already hold the whole database, so there it does nothing.
  virtual Status LockKey(std::string_view key) {
    (void)key;
    return Status::Ok();
  }
};

// Connections a Database holds, for the metrics.
struct DatabasePoolStats {
  int open = 0;    // idle + in use
  int in_use = 0;  // lent to a query or transaction now
};

class Database : public SqlExecutor {
 public:
  virtual DatabasePoolStats PoolStats() { return {}; }
  // Runs `body` in one transaction that takes the write lock up front
  // (BEGIN IMMEDIATE on SQLite). Commits when body returns OK, rolls back
  // otherwise and returns body's Status. Not reentrant.
  virtual Status Transaction(const std::function<Status(SqlExecutor&)>& body) = 0;
  // OK when the database answers a trivial query.
  virtual Status Ping() = 0;
  virtual SqlDialect dialect() const = 0;
  // Finishes outstanding work and closes every connection; later calls fail
  // with kUnavailable. Safe to call twice.
  virtual void Close() = 0;
};

// Runs `body` in one transaction and returns what it produced: the value on
// commit, body's (or the commit's) error otherwise.
template <typename T>
Result<T> TransactionValue(Database& db, const std::function<Result<T>(SqlExecutor&)>& body) {
  std::optional<T> value;
  Status s = db.Transaction([&](SqlExecutor& tx) -> Status {
    Result<T> r = body(tx);
    if (!r.ok()) return r.status();
    value.emplace(std::move(r).value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::move(*value);
}

}  // namespace latchkey
