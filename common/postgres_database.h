// PostgresDatabase: the Database interface on PostgreSQL through libpq, for
// running several stateless latchkeyd replicas on one database.
//
// SQL is written as for SQLite, with `?` placeholders; they become $1, $2,
// ... here (outside quoted literals). Values are always bound: integers and
// text as text, blobs as binary bytea. Results are read by column type:
// integer types as integers, bytea as bytes, everything else as text.
//
// Connections: a bounded pool, opened on demand up to `pool_size`; callers
// beyond that wait. A connection that fails (the server restarted, the
// network dropped) is discarded and the call fails with kUnavailable; the
// next call opens a fresh one, so the service recovers without a restart.
//
// Error mapping: unique violation (23505) -> kAlreadyExists; connection
// failures, admin shutdown, serialization failures and deadlocks ->
// kUnavailable; anything else -> kInternal naming the operation only.
//
// Thread-safety: safe for concurrent use; see Database.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/database.h"

namespace latchkey {

struct PostgresOptions {
  std::string url;  // postgresql://user@host:port/db?... (libpq conninfo URI)
  int pool_size = 8;
  std::chrono::seconds connect_timeout{5};
  // When set, every connection works in this schema (search_path); for
  // tests that each want an empty database. Letters, digits and '_' only.
  std::string schema;
};

class PostgresDatabase final : public Database {
 public:
  // Connects once to check the URL and server. Unavailable (without the
  // URL's password) if it cannot.
  static Result<std::unique_ptr<PostgresDatabase>> Open(const PostgresOptions& options);
  ~PostgresDatabase() override;

  Result<std::vector<Row>> Query(std::string_view sql, const SqlParams& params) override;
  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override;
  Status Transaction(const std::function<Status(SqlExecutor&)>& body) override;
  Status Ping() override;
  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  DatabasePoolStats PoolStats() override;
  const PostgresOptions& options() const { return options_; }
  void Close() override;

  // `sql` with each `?` outside quotes turned into $1, $2, ...
  static std::string NumberPlaceholders(std::string_view sql);

  class Connection;  // defined in postgres_database.cc

 private:
  explicit PostgresDatabase(PostgresOptions options);
  Result<std::unique_ptr<Connection>> Take();
  void Give(std::unique_ptr<Connection> c);

  PostgresOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + in use
  bool closed_ = false;
};

}  // namespace latchkey
