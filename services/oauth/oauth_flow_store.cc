#include "services/oauth/oauth_flow_store.h"

#include "services/oauth/oauth_clients.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "id, account_id, provider, identifier_id, redirect_uri, scopes, user_scopes, delivery,"
    " sealed_verifier, created_at, expires_at, started_at, completed_at";

// The stored spellings; existing rows depend on them.
constexpr char kExchange[] = "exchange";
constexpr char kRedirect[] = "redirect";

OAuthSessionRow FromRow(const Row& r) {
  OAuthSessionRow s;
  s.id = r.Text(0);
  s.account_id = r.Text(1);
  s.provider = r.Text(2);
  s.identifier_id = r.Text(3);
  s.redirect_uri = r.Text(4);
  s.scopes = ParseScopeList(r.Text(5));
  if (!r.IsNull(6)) s.user_scopes = ParseScopeList(r.Text(6));
  s.delivery = r.Text(7) == kExchange ? CodeDelivery::kExchange : CodeDelivery::kRedirect;
  if (!r.IsNull(8)) s.sealed_verifier = r.Blob(8);
  s.created_at = r.Int(9);
  s.expires_at = r.Int(10);
  s.started = !r.IsNull(11);
  s.completed = !r.IsNull(12);
  return s;
}

Result<std::optional<OAuthSessionRow>> SelectOne(SqlExecutor& exec, const char* where,
                                                 const SqlParams& params) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             " FROM oauth_sessions WHERE " + where,
                                         params));
  if (rows.empty()) return std::optional<OAuthSessionRow>();
  return std::optional<OAuthSessionRow>(FromRow(rows[0]));
}

}  // namespace

const std::vector<Migration>& OAuthFlowStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE oauth_sessions ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " identifier_id TEXT NOT NULL,"
       " redirect_uri TEXT NOT NULL,"
       " scopes TEXT NOT NULL,"
       " user_scopes TEXT,"
       " delivery TEXT NOT NULL,"
       " state_hash TEXT UNIQUE,"
       " sealed_verifier ${BLOB},"
       " created_at ${BIGINT} NOT NULL,"
       " expires_at ${BIGINT} NOT NULL,"
       " started_at ${BIGINT},"
       " completed_at ${BIGINT});"
       "CREATE INDEX oauth_sessions_expiry ON oauth_sessions (expires_at)"},
  };
  return kMigrations;
}

const std::vector<std::string>& OAuthFlowStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"oauth_sessions"};
  return kTables;
}

Status OAuthFlowStore::Insert(SqlExecutor& tx, const OAuthSessionRow& s) {
  SqlValue user_scopes = s.user_scopes ? SqlValue(ScopeListJson(*s.user_scopes)) : SqlValue();
  return tx
      .Execute(
          "INSERT INTO oauth_sessions (id, account_id, provider, identifier_id, redirect_uri,"
          " scopes, user_scopes, delivery, created_at, expires_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {s.id, s.account_id, s.provider, s.identifier_id, s.redirect_uri, ScopeListJson(s.scopes),
           user_scopes, s.delivery == CodeDelivery::kExchange ? kExchange : kRedirect, s.created_at,
           s.expires_at})
      .status();
}

Result<std::optional<OAuthSessionRow>> OAuthFlowStore::Get(SqlExecutor& exec,
                                                           const std::string& id) {
  return SelectOne(exec, "id = ?", {id});
}

Result<std::optional<OAuthSessionRow>> OAuthFlowStore::FindByStateHash(
    SqlExecutor& exec, const std::string& state_hash) {
  return SelectOne(exec, "state_hash = ?", {state_hash});
}

Result<bool> OAuthFlowStore::Start(SqlExecutor& tx, const std::string& id, int64_t started_at,
                                   const std::string& state_hash,
                                   const std::optional<Bytes>& sealed_verifier) {
  SqlValue verifier = sealed_verifier ? SqlValue(*sealed_verifier) : SqlValue();
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE oauth_sessions SET started_at = ?,"
                                         " state_hash = ?, sealed_verifier = ?"
                                         " WHERE id = ? AND started_at IS NULL",
                                         {started_at, state_hash, verifier, id}));
  return n > 0;
}

Result<bool> OAuthFlowStore::Complete(SqlExecutor& exec, const std::string& id,
                                      int64_t completed_at) {
  ASSIGN_OR_RETURN(int64_t n, exec.Execute("UPDATE oauth_sessions SET completed_at = ?"
                                           " WHERE id = ? AND completed_at IS NULL",
                                           {completed_at, id}));
  return n == 1;
}

Result<int64_t> OAuthFlowStore::PurgeExpiredBefore(SqlExecutor& exec, int64_t cutoff) {
  return exec.Execute("DELETE FROM oauth_sessions WHERE expires_at < ?", {cutoff});
}

}  // namespace latchkey
