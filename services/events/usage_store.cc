#include "services/events/usage_store.h"

#include <tuple>

namespace latchkey {
namespace {

constexpr char kCountColumns[] =
    "calls, denied, errors_4xx, errors_5xx, failures, bytes_in, bytes_out, l0, l1, l2, l3, l4, "
    "l5, l6, l7, l8, l9, l10, l11";

UsageCounts CountsAt(const Row& r, size_t first) {
  UsageCounts c;
  int64_t* fields[] = {&c.calls,    &c.denied,   &c.errors_4xx, &c.errors_5xx,
                       &c.failures, &c.bytes_in, &c.bytes_out};
  size_t i = first;
  for (int64_t* f : fields) *f = r.Int(i++);
  for (int64_t& l : c.latency) l = r.Int(i++);
  return c;
}

UsageLimit LimitFromRow(const Row& r) {
  UsageLimit l;
  l.account_id = r.Text(0);
  l.kind = r.Text(1);
  l.subject = r.Text(2);
  l.max_calls_per_day = r.Int(3);
  if (!r.IsNull(4)) l.notified_day = r.Int(4);
  return l;
}

}  // namespace

void UsageCounts::Add(const UsageCounts& o) {
  calls += o.calls;
  denied += o.denied;
  errors_4xx += o.errors_4xx;
  errors_5xx += o.errors_5xx;
  failures += o.failures;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  for (size_t i = 0; i < latency.size(); ++i) latency[i] += o.latency[i];
}

bool UsageKey::operator<(const UsageKey& o) const {
  return std::tie(account_id, kind, subject) < std::tie(o.account_id, o.kind, o.subject);
}

const std::vector<Migration>& UsageStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE usage_rollups ("
       " account_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,"
       " granularity TEXT NOT NULL, bucket ${BIGINT} NOT NULL,"
       " calls ${BIGINT} NOT NULL, denied ${BIGINT} NOT NULL, errors_4xx ${BIGINT} NOT NULL,"
       " errors_5xx ${BIGINT} NOT NULL, failures ${BIGINT} NOT NULL,"
       " bytes_in ${BIGINT} NOT NULL, bytes_out ${BIGINT} NOT NULL,"
       " l0 ${BIGINT} NOT NULL, l1 ${BIGINT} NOT NULL, l2 ${BIGINT} NOT NULL,"
       " l3 ${BIGINT} NOT NULL, l4 ${BIGINT} NOT NULL, l5 ${BIGINT} NOT NULL,"
       " l6 ${BIGINT} NOT NULL, l7 ${BIGINT} NOT NULL, l8 ${BIGINT} NOT NULL,"
       " l9 ${BIGINT} NOT NULL, l10 ${BIGINT} NOT NULL, l11 ${BIGINT} NOT NULL,"
       " PRIMARY KEY (account_id, kind, subject, granularity, bucket));"
       "CREATE INDEX usage_rollups_age ON usage_rollups(granularity, bucket);"
       "CREATE TABLE usage_limits ("
       " account_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,"
       " max_calls_per_day ${BIGINT} NOT NULL, notified_day ${BIGINT},"
       " PRIMARY KEY (account_id, kind, subject))"},
  };
  return kMigrations;
}

const std::vector<std::string>& UsageStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"usage_rollups", "usage_limits"};
  return kTables;
}

Status UsageStore::Add(SqlExecutor& tx, const UsageRow& row) {
  const UsageCounts& c = row.counts;
  SqlParams params{row.key.account_id, row.key.kind, row.key.subject, row.granularity,
                   row.bucket,         c.calls,      c.denied,        c.errors_4xx,
                   c.errors_5xx,       c.failures,   c.bytes_in,      c.bytes_out};
  for (int64_t l : c.latency) params.emplace_back(l);
  std::string update;
  for (const char* col :
       {"calls", "denied", "errors_4xx", "errors_5xx", "failures", "bytes_in", "bytes_out", "l0",
        "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11"}) {
    update += std::string(update.empty() ? "" : ", ") + col + " = usage_rollups." + col +
              " + excluded." + col;
  }
  return tx
      .Execute(std::string("INSERT INTO usage_rollups (account_id, kind, subject, granularity,"
                           " bucket, ") +
                   kCountColumns +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?) ON CONFLICT (account_id, kind, subject, granularity, bucket)"
                   " DO UPDATE SET " +
                   update,
               params)
      .status();
}

Result<std::vector<UsageRow>> UsageStore::Query(SqlExecutor& exec, const std::string& account_id,
                                                const std::string& kind, const std::string& subject,
                                                const std::string& granularity, int64_t from,
                                                int64_t to,
                                                const std::optional<UsagePosition>& after,
                                                int64_t limit) {
  std::string sql = std::string("SELECT kind, subject, bucket, ") + kCountColumns +
                    " FROM usage_rollups WHERE account_id = ? AND granularity = ?"
                    " AND bucket >= ? AND bucket < ?";
  SqlParams params{account_id, granularity, from, to};
  if (!kind.empty()) sql += " AND kind = ?", params.emplace_back(kind);
  if (!subject.empty()) sql += " AND subject = ?", params.emplace_back(subject);
  if (after) {
    sql += " AND (bucket < ? OR (bucket = ? AND (kind < ? OR (kind = ? AND subject < ?))))";
    params.insert(params.end(),
                  {after->bucket, after->bucket, after->kind, after->kind, after->subject});
  }
  sql += " ORDER BY bucket DESC, kind DESC, subject DESC LIMIT ?";
  params.emplace_back(limit);
  ASSIGN_OR_RETURN(auto rows, exec.Query(sql, params));
  std::vector<UsageRow> out;
  for (const Row& r : rows) {
    UsageRow u;
    u.key = {account_id, r.Text(0), r.Text(1)};
    u.granularity = granularity;
    u.bucket = r.Int(2);
    u.counts = CountsAt(r, 3);
    out.push_back(std::move(u));
  }
  return out;
}

Result<int64_t> UsageStore::CallsInDay(SqlExecutor& exec, const UsageKey& key, int64_t day) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT calls - denied FROM usage_rollups"
                                         " WHERE account_id = ? AND kind = ? AND subject = ?"
                                         " AND granularity = 'day' AND bucket = ?",
                                         {key.account_id, key.kind, key.subject, day}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<int64_t> UsageStore::Purge(SqlExecutor& tx, int64_t hours_before, int64_t days_before) {
  return tx.Execute(
      "DELETE FROM usage_rollups WHERE (granularity = 'hour' AND bucket < ?)"
      " OR (granularity = 'day' AND bucket < ?)",
      {hours_before, days_before});
}

Status UsageStore::PutLimit(SqlExecutor& tx, const UsageLimit& l) {
  return tx
      .Execute(
          "INSERT INTO usage_limits (account_id, kind, subject, max_calls_per_day)"
          " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, kind, subject)"
          " DO UPDATE SET max_calls_per_day = excluded.max_calls_per_day",
          {l.account_id, l.kind, l.subject, l.max_calls_per_day})
      .status();
}

Result<bool> UsageStore::DeleteLimit(SqlExecutor& tx, const std::string& account_id,
                                     const std::string& kind, const std::string& subject) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("DELETE FROM usage_limits WHERE account_id = ?"
                                         " AND kind = ? AND subject = ?",
                                         {account_id, kind, subject}));
  return n > 0;
}

Result<std::vector<UsageLimit>> UsageStore::Limits(SqlExecutor& exec,
                                                   const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT account_id, kind, subject, max_calls_per_day,"
                                         " notified_day FROM usage_limits WHERE account_id = ?"
                                         " ORDER BY kind, subject",
                                         {account_id}));
  std::vector<UsageLimit> out;
  for (const Row& r : rows) out.push_back(LimitFromRow(r));
  return out;
}

Result<std::vector<UsageLimit>> UsageStore::AllLimits(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT account_id, kind, subject, max_calls_per_day,"
                                         " notified_day FROM usage_limits"));
  std::vector<UsageLimit> out;
  for (const Row& r : rows) out.push_back(LimitFromRow(r));
  return out;
}

Result<bool> UsageStore::MarkNotified(SqlExecutor& tx, const UsageLimit& l, int64_t day) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE usage_limits SET notified_day = ?"
                                         " WHERE account_id = ? AND kind = ? AND subject = ?"
                                         " AND (notified_day IS NULL OR notified_day <> ?)",
                                         {day, l.account_id, l.kind, l.subject, day}));
  return n == 1;
}

}  // namespace latchkey
