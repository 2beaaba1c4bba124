// Schema migrations: each component (a service, or a common/ piece that owns
// tables) keeps an ordered list of SQL steps; ApplyMigrations runs the ones
// not yet recorded in `schema_migrations`, each in its own transaction. On
// PostgreSQL each transaction holds an advisory lock, so replicas started
// at the same moment apply every step once and all start.
//
// SQL may use ${BLOB} and ${BIGINT} for the column types that differ between
// SQLite and PostgreSQL.
//
// Thread-safety: run at startup, before serving.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/database.h"

namespace latchkey {

struct Migration {
  int version;      // 1, 2, 3, ... in order, never reused
  std::string sql;  // one or more statements separated by ';'
  // Used instead of `sql` on PostgreSQL when set (triggers, functions).
  std::string postgres_sql = {};
};

// Applies the missing migrations of `component`. Returns the first failure;
// steps applied before it stay applied.
Status ApplyMigrations(Database& db, std::string_view component,
                       const std::vector<Migration>& migrations);

}  // namespace latchkey
