// SqliteDatabase: the embedded Database on one SQLite file.
//
// Opens a small pool of connections in WAL mode with synchronous=FULL,
// foreign keys on and a busy timeout, and caches prepared statements per
// connection. Writers serialize on SQLite's lock (BEGIN IMMEDIATE); readers
// run in parallel on their own connections.
//
// Thread-safety: safe for concurrent use; see Database.
#pragma once

#include <memory>
#include <string>

#include "common/database.h"

namespace latchkey {

struct SqliteOptions {
  std::string path;   // a file path, or ":memory:" (forces one connection)
  int pool_size = 4;  // connections kept open
  int busy_timeout_ms = 5000;
};

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the database. Unavailable with SQLite's
  // reason if the file cannot be opened or configured.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const SqliteOptions& options);
  ~SqliteDatabase() override;

  Result<std::vector<Row>> Query(std::string_view sql, const SqlParams& params) override;
  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override;
  Status Transaction(const std::function<Status(SqlExecutor&)>& body) override;
  Status Ping() override;
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  DatabasePoolStats PoolStats() override;
  void Close() override;

  class Connection;  // defined in sqlite_database.cc

 private:
  class Pool;
  explicit SqliteDatabase(std::unique_ptr<Pool> pool);
  std::unique_ptr<Pool> pool_;
};

// Copies the database at `from` to `to` with SQLite's online backup API:
// one consistent snapshot (committed transactions only, the WAL's
// included) while other connections keep writing. Written to a new
// `to`.partial-XXXXXX (mkstemp: 0600, this copy's own), checked with
// PRAGMA integrity_check, synced, then given the name `to` without ever
// replacing a file there, so `to` is whole or absent. AlreadyExists when
// `to` exists; Unavailable when a file cannot be opened or created;
// DataLoss when the source or the copy fails its check.
Status SqliteCopy(const std::string& from, const std::string& to);

}  // namespace latchkey
