#include "services/oauth/oauth_token_store.h"

#include "services/oauth/oauth_clients.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "id, account_id, provider, identifier_id, resource, scopes, status, sealed, refreshable,"
    " expires_at, next_refresh_at, lease_owner, lease_until, failures, metadata, created_at,"
    " last_refreshed_at, connection_key";

SqlValue OptionalInt(const std::optional<int64_t>& v) { return v ? SqlValue(*v) : SqlValue(); }
SqlValue OptionalText(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(); }
std::optional<int64_t> IntAt(const Row& r, size_t i) {
  return r.IsNull(i) ? std::nullopt : std::optional<int64_t>(r.Int(i));
}
SqlValue StatusText(TokenStatus status) { return std::string(TokenStatusName(status)); }

Result<TokenRow> FromRow(const Row& r) {
  TokenRow row;
  row.id = r.Text(0);
  row.account_id = r.Text(1);
  row.provider = r.Text(2);
  row.identifier_id = r.Text(3);
  row.resource = r.Text(4);
  row.scopes = ParseScopeList(r.Text(5));
  std::optional<TokenStatus> status = ParseTokenStatus(r.Text(6));
  if (!status) return DataLoss("OAuth token " + row.id + " has an unknown status");
  row.status = *status;
  row.sealed = r.Blob(7);
  row.refreshable = r.Int(8) != 0;
  row.expires_at = IntAt(r, 9);
  row.next_refresh_at = IntAt(r, 10);
  if (!r.IsNull(11)) row.lease_owner = r.Text(11);
  row.lease_until = IntAt(r, 12);
  row.failures = r.Int(13);
  row.metadata = r.Text(14);
  row.created_at = r.Int(15);
  row.last_refreshed_at = IntAt(r, 16);
  if (!r.IsNull(17)) row.connection_key = r.Text(17);
  return row;
}

Result<std::vector<TokenRow>> Select(SqlExecutor& exec, const std::string& where,
                                     const SqlParams& params) {
  ASSIGN_OR_RETURN(
      auto rows,
      exec.Query(std::string("SELECT ") + kColumns + " FROM oauth_tokens WHERE " + where, params));
  std::vector<TokenRow> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    ASSIGN_OR_RETURN(TokenRow row, FromRow(r));
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

const std::vector<Migration>& OAuthTokenStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE oauth_tokens ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " identifier_id TEXT NOT NULL,"
       " resource TEXT NOT NULL,"
       " scopes TEXT NOT NULL,"
       " status TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " refreshable INTEGER NOT NULL,"
       " expires_at ${BIGINT},"
       " next_refresh_at ${BIGINT},"
       " lease_owner TEXT,"
       " lease_until ${BIGINT},"
       " failures INTEGER NOT NULL DEFAULT 0,"
       " metadata TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " last_refreshed_at ${BIGINT},"
       " last_used_at ${BIGINT});"
       // The scheduler's only way in: no pass scans the table.
       "CREATE INDEX oauth_tokens_due ON oauth_tokens (next_refresh_at);"
       "CREATE INDEX oauth_tokens_identifier ON oauth_tokens (account_id, identifier_id)"},
      // One row per connection (see TokenRow::connection_key); rows stored
      // before this keep NULL, which the index does not compare.
      {2,
       "ALTER TABLE oauth_tokens ADD COLUMN connection_key TEXT;"
       "CREATE UNIQUE INDEX oauth_tokens_connection ON oauth_tokens (connection_key)"},
  };
  return kMigrations;
}

const std::vector<std::string>& OAuthTokenStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"oauth_tokens"};
  return kTables;
}

Status OAuthTokenStore::Insert(SqlExecutor& tx, const TokenRow& row) {
  return tx
      .Execute(
          std::string("INSERT INTO oauth_tokens (") + kColumns +
              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {row.id, row.account_id, row.provider, row.identifier_id, row.resource,
           ScopeListJson(row.scopes), StatusText(row.status), row.sealed, int64_t{row.refreshable},
           OptionalInt(row.expires_at), OptionalInt(row.next_refresh_at),
           OptionalText(row.lease_owner), OptionalInt(row.lease_until), row.failures, row.metadata,
           row.created_at, OptionalInt(row.last_refreshed_at), OptionalText(row.connection_key)})
      .status();
}

Status OAuthTokenStore::Replace(SqlExecutor& tx, const TokenRow& row) {
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Execute(
          "UPDATE oauth_tokens SET scopes = ?, status = ?, sealed = ?, refreshable = ?,"
          " expires_at = ?, next_refresh_at = ?, lease_owner = NULL, lease_until = NULL,"
          " failures = 0, metadata = ?, last_refreshed_at = ?, connection_key = ?"
          " WHERE id = ? AND account_id = ?",
          {ScopeListJson(row.scopes), StatusText(row.status), row.sealed, int64_t{row.refreshable},
           OptionalInt(row.expires_at), OptionalInt(row.next_refresh_at), row.metadata,
           OptionalInt(row.last_refreshed_at), OptionalText(row.connection_key), row.id,
           row.account_id}));
  if (n == 0) return NotFound("no OAuth token " + row.id);
  return Status::Ok();
}

Result<std::optional<TokenRow>> OAuthTokenStore::Get(SqlExecutor& exec, const std::string& id) {
  ASSIGN_OR_RETURN(auto rows, Select(exec, "id = ?", {id}));
  if (rows.empty()) return std::optional<TokenRow>();
  return std::optional<TokenRow>(std::move(rows.front()));
}

Result<std::optional<TokenRow>> OAuthTokenStore::GetByConnectionKey(SqlExecutor& exec,
                                                                    const std::string& key) {
  ASSIGN_OR_RETURN(auto rows, Select(exec, "connection_key = ?", {key}));
  if (rows.empty()) return std::optional<TokenRow>();
  return std::optional<TokenRow>(std::move(rows.front()));
}

// GCC 12 at -O2 reports the std::variant moved by push_back below as
// "maybe uninitialized" (a known false positive in its variant move).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
Result<std::vector<TokenRow>> OAuthTokenStore::List(SqlExecutor& exec,
                                                    const std::string& account_id,
                                                    const TokenFilter& filter) {
  std::string where = "account_id = ?";
  SqlParams params = {account_id};
  if (filter.identifier_id) {
    where += " AND identifier_id = ?";
    params.push_back(*filter.identifier_id);
  }
  if (filter.resource) {
    where += " AND resource = ?";
    params.push_back(*filter.resource);
  }
  if (filter.before) {
    where += " AND (created_at < ? OR (created_at = ? AND id < ?))";
    params.push_back(filter.before->created_at);
    params.push_back(filter.before->created_at);
    params.push_back(filter.before->id);
  }
  where += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.push_back(filter.limit);
  return Select(exec, where, params);
}

Result<std::vector<TokenRow>> OAuthTokenStore::ListConnection(SqlExecutor& exec,
                                                              const std::string& account_id,
                                                              const std::string& provider,
                                                              const std::string& identifier_id) {
  return Select(exec,
                "account_id = ? AND provider = ? AND identifier_id = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 100",
                {account_id, provider, identifier_id});
}
#pragma GCC diagnostic pop

Result<bool> OAuthTokenStore::Delete(SqlExecutor& tx, const std::string& account_id,
                                     const std::string& id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("DELETE FROM oauth_tokens WHERE id = ? AND account_id = ?",
                                         {id, account_id}));
  return n > 0;
}

Result<bool> OAuthTokenStore::Claim(SqlExecutor& exec, const std::string& id,
                                    const std::string& owner, int64_t now, int64_t lease_until) {
  ASSIGN_OR_RETURN(int64_t n, exec.Execute("UPDATE oauth_tokens SET lease_owner = ?,"
                                           " lease_until = ?, next_refresh_at = ?"
                                           " WHERE id = ? AND next_refresh_at <= ?"
                                           " AND status <> ?"
                                           " AND (lease_until IS NULL OR lease_until <= ?)",
                                           {owner, lease_until, lease_until, id, now,
                                            StatusText(TokenStatus::kNeedsReauth), now}));
  return n > 0;
}

Result<bool> OAuthTokenStore::CommitRefresh(SqlExecutor& tx, const std::string& id,
                                            const std::string& owner, const RefreshedToken& r) {
  ASSIGN_OR_RETURN(
      int64_t n,
      tx.Execute(
          "UPDATE oauth_tokens SET sealed = ?, expires_at = ?, next_refresh_at = ?,"
          " status = ?, failures = 0, last_refreshed_at = ?, scopes = ?,"
          " lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
          {r.sealed, OptionalInt(r.expires_at), OptionalInt(r.next_refresh_at),
           StatusText(TokenStatus::kActive), r.refreshed_at, ScopeListJson(r.scopes), id, owner}));
  return n > 0;
}

Result<bool> OAuthTokenStore::MarkNeedsReauth(SqlExecutor& tx, const std::string& id,
                                              const std::string& owner) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE oauth_tokens SET status = ?,"
                                         " next_refresh_at = NULL, lease_owner = NULL,"
                                         " lease_until = NULL WHERE id = ? AND lease_owner = ?",
                                         {StatusText(TokenStatus::kNeedsReauth), id, owner}));
  return n > 0;
}

Result<bool> OAuthTokenStore::ScheduleRetry(SqlExecutor& tx, const std::string& id,
                                            const std::string& owner, int64_t failures,
                                            int64_t retry_at) {
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Execute("UPDATE oauth_tokens SET failures = ?, next_refresh_at = ?,"
                              " lease_owner = NULL, lease_until = NULL"
                              " WHERE id = ? AND lease_owner = ?",
                              {failures, retry_at, id, owner}));
  return n > 0;
}

Result<std::vector<std::string>> OAuthTokenStore::DueIds(SqlExecutor& exec, int64_t now,
                                                         int64_t limit) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT id FROM oauth_tokens WHERE next_refresh_at <= ?"
                                         " ORDER BY next_refresh_at LIMIT ?",
                                         {now, limit}));
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const Row& r : rows) ids.push_back(r.Text(0));
  return ids;
}

Result<std::optional<int64_t>> OAuthTokenStore::NextDue(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT next_refresh_at FROM oauth_tokens"
                                         " WHERE next_refresh_at IS NOT NULL"
                                         " ORDER BY next_refresh_at LIMIT 1"));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

Status OAuthTokenStore::RecordUse(SqlExecutor& tx, const std::string& account_id,
                                  const std::string& id, int64_t used_at) {
  return tx
      .Execute("UPDATE oauth_tokens SET last_used_at = ? WHERE id = ? AND account_id = ?",
               {used_at, id, account_id})
      .status();
}

}  // namespace latchkey
