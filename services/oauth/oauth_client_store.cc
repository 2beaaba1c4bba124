#include "services/oauth/oauth_client_store.h"

#include "services/oauth/oauth_clients.h"

namespace latchkey {
namespace {

SqlValue OptionalText(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(); }

constexpr char kColumns[] = "provider, client_id, secret_last4, scopes, tenant, updated_at";

// The kColumns part of a row (List and Get both select it first).
ClientRow FromRow(const Row& r) {
  ClientRow row;
  row.provider = r.Text(0);
  row.client_id = r.Text(1);
  if (!r.IsNull(2)) row.secret_last4 = r.Text(2);
  if (!r.IsNull(3)) row.scopes = ParseScopeList(r.Text(3));
  if (!r.IsNull(4)) row.tenant = r.Text(4);
  row.updated_at = FromUnix(r.Int(5));
  return row;
}

}  // namespace

const std::vector<Migration>& OAuthClientStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE oauth_clients ("
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " client_id TEXT NOT NULL,"
       " sealed_secret ${BLOB} NOT NULL,"
       " secret_last4 TEXT,"
       " scopes TEXT,"
       " tenant TEXT,"
       " updated_at ${BIGINT} NOT NULL,"
       " PRIMARY KEY (account_id, provider));"
       "CREATE TABLE oauth_redirect_uris ("
       " account_id TEXT NOT NULL,"
       " uri TEXT NOT NULL,"
       " PRIMARY KEY (account_id, uri))"},
  };
  return kMigrations;
}

const std::vector<std::string>& OAuthClientStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"oauth_clients", "oauth_redirect_uris"};
  return kTables;
}

Status OAuthClientStore::Put(SqlExecutor& tx, const std::string& account_id, const ClientRow& row) {
  RETURN_IF_ERROR(tx.Execute("DELETE FROM oauth_clients WHERE account_id = ? AND provider = ?",
                             {account_id, row.provider})
                      .status());
  SqlValue scopes = row.scopes ? SqlValue(ScopeListJson(*row.scopes)) : SqlValue();
  return tx
      .Execute(
          "INSERT INTO oauth_clients (account_id, provider, client_id, sealed_secret,"
          " secret_last4, scopes, tenant, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {account_id, row.provider, row.client_id, row.sealed_secret,
           OptionalText(row.secret_last4), scopes, OptionalText(row.tenant),
           ToUnix(row.updated_at)})
      .status();
}

Result<std::vector<ClientRow>> OAuthClientStore::List(SqlExecutor& exec,
                                                      const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             " FROM oauth_clients WHERE account_id = ?",
                                         {account_id}));
  std::vector<ClientRow> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::optional<ClientRow>> OAuthClientStore::Get(SqlExecutor& exec,
                                                       const std::string& account_id,
                                                       const std::string& provider) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             ", sealed_secret FROM oauth_clients"
                                             " WHERE account_id = ? AND provider = ?",
                                         {account_id, provider}));
  if (rows.empty()) return std::optional<ClientRow>();
  ClientRow row = FromRow(rows[0]);
  row.sealed_secret = rows[0].Blob(6);
  return std::optional<ClientRow>(std::move(row));
}

Status OAuthClientStore::PutRedirectUris(SqlExecutor& tx, const std::string& account_id,
                                         const std::vector<std::string>& uris) {
  RETURN_IF_ERROR(
      tx.Execute("DELETE FROM oauth_redirect_uris WHERE account_id = ?", {account_id}).status());
  for (const auto& uri : uris) {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO oauth_redirect_uris (account_id, uri) VALUES (?, ?)",
                               {account_id, uri})
                        .status());
  }
  return Status::Ok();
}

Result<std::vector<std::string>> OAuthClientStore::RedirectUris(SqlExecutor& exec,
                                                                const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT uri FROM oauth_redirect_uris WHERE account_id = ?"
                                         " ORDER BY uri",
                                         {account_id}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<bool> OAuthClientStore::HasRedirectUri(SqlExecutor& exec, const std::string& account_id,
                                              const std::string& uri) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT 1 FROM oauth_redirect_uris"
                                         " WHERE account_id = ? AND uri = ?",
                                         {account_id, uri}));
  return !rows.empty();
}

}  // namespace latchkey
