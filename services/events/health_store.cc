#include "services/events/health_store.h"

#include "common/sql_time.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "account_id, credential, kind, provider, url, expect_status, status, checked_at, last_error,"
    " latency_ms, next_check_at";

HealthStatus StatusFromText(const std::string& s) {
  if (s == "healthy") return HealthStatus::kHealthy;
  if (s == "unhealthy") return HealthStatus::kUnhealthy;
  if (s == "expiring_soon") return HealthStatus::kExpiringSoon;
  return HealthStatus::kUnknown;
}

HealthRow FromRow(const Row& r) {
  HealthRow h;
  h.account_id = r.Text(0);
  h.credential = r.Text(1);
  h.kind = r.Text(2);
  h.provider = r.Text(3);
  h.url = r.Text(4);
  h.expect_status = static_cast<int>(r.Int(5));
  h.health.status = StatusFromText(r.Text(6));
  h.health.checked_at = OptionalTimeAt(r, 7);
  h.health.last_error = r.Text(8);
  h.health.latency_ms = r.Int(9);
  h.next_check_at = FromUnix(r.Int(10));
  return h;
}

Result<std::vector<HealthRow>> Select(SqlExecutor& exec, const std::string& where,
                                      const SqlParams& params) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             " FROM credential_health WHERE " + where,
                                         params));
  std::vector<HealthRow> out;
  for (const Row& r : rows) out.push_back(FromRow(r));
  return out;
}

}  // namespace

std::string_view HealthStatusName(HealthStatus s) {
  switch (s) {
    case HealthStatus::kHealthy:
      return "healthy";
    case HealthStatus::kUnhealthy:
      return "unhealthy";
    case HealthStatus::kExpiringSoon:
      return "expiring_soon";
    case HealthStatus::kUnknown:
      break;
  }
  return "unknown";
}

const std::vector<Migration>& HealthStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE credential_health ("
       " account_id TEXT NOT NULL, credential TEXT NOT NULL, kind TEXT NOT NULL,"
       " provider TEXT NOT NULL, url TEXT NOT NULL, expect_status INTEGER NOT NULL,"
       " status TEXT NOT NULL, checked_at ${BIGINT}, last_error TEXT NOT NULL,"
       " latency_ms ${BIGINT} NOT NULL, next_check_at ${BIGINT} NOT NULL,"
       " lease_owner TEXT, lease_until ${BIGINT}, PRIMARY KEY (account_id, credential));"
       "CREATE INDEX credential_health_due ON credential_health(next_check_at)"},
  };
  return kMigrations;
}

const std::vector<std::string>& HealthStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"credential_health"};
  return kTables;
}

Status HealthStore::Upsert(SqlExecutor& tx, const HealthRow& h) {
  return tx
      .Execute(
          "INSERT INTO credential_health (account_id, credential, kind, provider, url,"
          " expect_status, status, last_error, latency_ms, next_check_at)"
          " VALUES (?, ?, ?, ?, ?, ?, 'unknown', '', 0, ?)"
          " ON CONFLICT (account_id, credential) DO UPDATE SET kind = excluded.kind,"
          " provider = excluded.provider, url = excluded.url,"
          " expect_status = excluded.expect_status",
          {h.account_id, h.credential, h.kind, h.provider, h.url, int64_t{h.expect_status},
           ToUnix(h.next_check_at)})
      .status();
}

Status HealthStore::TestNoLaterThan(SqlExecutor& tx, const std::string& account_id,
                                    const std::string& credential, TimePoint at) {
  return tx
      .Execute(
          "UPDATE credential_health SET next_check_at = ? WHERE account_id = ?"
          " AND credential = ? AND next_check_at > ?",
          {ToUnix(at), account_id, credential, ToUnix(at)})
      .status();
}

Status HealthStore::Delete(SqlExecutor& tx, const std::string& account_id,
                           const std::string& credential) {
  return tx
      .Execute("DELETE FROM credential_health WHERE account_id = ? AND credential = ?",
               {account_id, credential})
      .status();
}

Result<std::optional<HealthRow>> HealthStore::Get(SqlExecutor& exec, const std::string& account_id,
                                                  const std::string& credential) {
  ASSIGN_OR_RETURN(auto rows,
                   Select(exec, "account_id = ? AND credential = ?", {account_id, credential}));
  if (rows.empty()) return std::optional<HealthRow>();
  return std::optional<HealthRow>(std::move(rows[0]));
}

Result<std::vector<HealthRow>> HealthStore::ForAccount(SqlExecutor& exec,
                                                       const std::string& account_id) {
  return Select(exec, "account_id = ? ORDER BY credential", {account_id});
}

Result<std::vector<HealthRow>> HealthStore::ClaimDue(Database& db, TimePoint now, int limit,
                                                     const std::string& owner,
                                                     TimePoint lease_until) {
  int64_t t = ToUnix(now);
  ASSIGN_OR_RETURN(auto due, Select(db,
                                    "next_check_at <= ? AND (lease_until IS NULL OR"
                                    " lease_until <= ?) ORDER BY next_check_at LIMIT ?",
                                    {t, t, int64_t{limit}}));
  std::vector<HealthRow> claimed;
  for (HealthRow& h : due) {
    ASSIGN_OR_RETURN(int64_t n,
                     db.Execute("UPDATE credential_health SET lease_owner = ?, lease_until = ?"
                                " WHERE account_id = ? AND credential = ? AND next_check_at <= ?"
                                " AND (lease_until IS NULL OR lease_until <= ?)",
                                {owner, ToUnix(lease_until), h.account_id, h.credential, t, t}));
    if (n == 1) claimed.push_back(std::move(h));
  }
  return claimed;
}

Status HealthStore::Record(SqlExecutor& tx, const HealthRow& h) {
  return tx
      .Execute(
          "UPDATE credential_health SET status = ?, checked_at = ?, last_error = ?,"
          " latency_ms = ?, next_check_at = ?, lease_owner = NULL, lease_until = NULL"
          " WHERE account_id = ? AND credential = ?",
          {std::string(HealthStatusName(h.health.status)), TimeOrNull(h.health.checked_at),
           h.health.last_error, h.health.latency_ms, ToUnix(h.next_check_at), h.account_id,
           h.credential})
      .status();
}

}  // namespace latchkey
