#include "common/migrations.h"

namespace latchkey {
namespace {

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

std::string ForDialect(const std::string& sql, SqlDialect dialect) {
  bool pg = dialect == SqlDialect::kPostgres;
  std::string out = ReplaceAll(sql, "${BLOB}", pg ? "BYTEA" : "BLOB");
  return ReplaceAll(out, "${BIGINT}", pg ? "BIGINT" : "INTEGER");
}

// A trigger body holds ';'s of its own: its statement ends only after END.
bool InsideTrigger(const std::string& current) {
  if (current.find("CREATE TRIGGER") == std::string::npos) return false;
  size_t end = current.find_last_not_of(" \t\r\n");
  return end == std::string::npos || end < 2 || current.compare(end - 2, 3, "END") != 0;
}

// Splits on ';' outside of quotes, $$-quoted bodies and trigger bodies.
std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  bool dollar_quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' && !dollar_quoted) quoted = !quoted;
    if (c == '$' && i + 1 < sql.size() && sql[i + 1] == '$' && !quoted) {
      dollar_quoted = !dollar_quoted;
      current += "$$";
      ++i;
      continue;
    }
    if (c == ';' && !quoted && !dollar_quoted && !InsideTrigger(current)) {
      if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

// On PostgreSQL, replicas that start together take turns: each step's
// transaction first takes this transaction-scoped advisory lock, so the
// second replica sees the first one's step recorded (and skips it) instead
// of failing on "already exists". SQLite serializes writers by itself.
constexpr int64_t kMigrationLock = 0x6c6b6d6967;  // "lkmig"

Status TakeMigrationLock(Database& db, SqlExecutor& tx) {
  if (db.dialect() != SqlDialect::kPostgres) return Status::Ok();
  return tx.Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}).status();
}

}  // namespace

Status ApplyMigrations(Database& db, std::string_view component,
                       const std::vector<Migration>& migrations) {
  RETURN_IF_ERROR(db.Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(TakeMigrationLock(db, tx));
    return tx
        .Execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component TEXT NOT NULL,"
            " version INTEGER NOT NULL,"
            " PRIMARY KEY (component, version))",
            {})
        .status();
  }));
  for (const Migration& m : migrations) {
    Status s = db.Transaction([&](SqlExecutor& tx) -> Status {
      RETURN_IF_ERROR(TakeMigrationLock(db, tx));
      ASSIGN_OR_RETURN(
          auto rows, tx.Query("SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                              {std::string(component), int64_t{m.version}}));
      if (!rows.empty()) return Status::Ok();
      bool pg = db.dialect() == SqlDialect::kPostgres;
      const std::string& sql = pg && !m.postgres_sql.empty() ? m.postgres_sql : m.sql;
      for (const std::string& stmt : SplitStatements(ForDialect(sql, db.dialect()))) {
        RETURN_IF_ERROR(tx.Execute(stmt, {}).status());
      }
      return tx
          .Execute("INSERT INTO schema_migrations (component, version) VALUES (?, ?)",
                   {std::string(component), int64_t{m.version}})
          .status();
    });
    if (!s.ok()) {
      return {s.code(), "migration " + std::string(component) + "/" + std::to_string(m.version) +
                            " failed: " + s.message()};
    }
  }
  return Status::Ok();
}

}  // namespace latchkey
