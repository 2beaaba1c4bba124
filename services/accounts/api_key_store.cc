#include "services/accounts/api_key_store.h"

#include "common/sql_time.h"

namespace latchkey {
namespace {

constexpr char kKeyColumns[] =
    "id, account_id, name, scopes, created_at, expires_at, revoked_at, last_used_at, credentials";

std::string JoinSpaced(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitSpaced(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

ApiKey KeyFromRow(const Row& row) {
  ApiKey k;
  k.id = row.Text(0);
  k.account_id = row.Text(1);
  k.name = row.Text(2);
  k.scopes = SplitSpaced(row.Text(3));
  k.created_at = FromUnix(row.Int(4));
  k.expires_at = OptionalTimeAt(row, 5);
  k.revoked_at = OptionalTimeAt(row, 6);
  k.last_used_at = OptionalTimeAt(row, 7);
  if (!row.IsNull(8)) k.credentials = SplitSpaced(row.Text(8));
  return k;
}

}  // namespace

const std::vector<Migration>& ApiKeyStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE api_keys ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " name TEXT NOT NULL,"
       " scopes TEXT NOT NULL,"
       " secret_hash TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " expires_at ${BIGINT},"
       " revoked_at ${BIGINT},"
       " last_used_at ${BIGINT});"
       "CREATE INDEX api_keys_account ON api_keys (account_id)"},
      // The proxy restriction: space-separated credential names, or NULL.
      {2, "ALTER TABLE api_keys ADD COLUMN credentials TEXT"},
  };
  return kMigrations;
}

Status ApiKeyStore::Insert(SqlExecutor& tx, const ApiKey& key, const std::string& secret_hash) {
  SqlValue credentials = nullptr;
  if (key.credentials) credentials = JoinSpaced(*key.credentials);
  return tx
      .Execute(
          "INSERT INTO api_keys (id, account_id, name, scopes, secret_hash,"
          " created_at, expires_at, credentials) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {key.id, key.account_id, key.name, JoinSpaced(key.scopes), secret_hash,
           ToUnix(key.created_at), TimeOrNull(key.expires_at), credentials})
      .status();
}

Result<std::vector<ApiKey>> ApiKeyStore::ListActive(SqlExecutor& exec,
                                                    const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kKeyColumns +
                                             " FROM api_keys WHERE account_id = ? AND revoked_at"
                                             " IS NULL ORDER BY created_at DESC, id",
                                         {account_id}));
  std::vector<ApiKey> keys;
  keys.reserve(rows.size());
  for (const Row& row : rows) keys.push_back(KeyFromRow(row));
  return keys;
}

Result<std::optional<StoredApiKey>> ApiKeyStore::Get(SqlExecutor& exec, const std::string& key_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kKeyColumns +
                                             ", secret_hash FROM api_keys WHERE id = ?",
                                         {key_id}));
  if (rows.empty()) return std::optional<StoredApiKey>();
  return std::optional<StoredApiKey>(StoredApiKey{KeyFromRow(rows[0]), rows[0].Text(9)});
}

Result<bool> ApiKeyStore::Revoke(SqlExecutor& tx, const std::string& account_id,
                                 const std::string& key_id, TimePoint now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ?"
                              " AND revoked_at IS NULL",
                              {ToUnix(now), key_id, account_id}));
  return changed > 0;
}

Status ApiKeyStore::SetLastUsed(SqlExecutor& exec, const std::string& key_id, TimePoint used_at) {
  return exec
      .Execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {ToUnix(used_at), key_id})
      .status();
}

Status ApiKeyStore::DeleteAll(SqlExecutor& tx, const std::string& account_id) {
  return tx.Execute("DELETE FROM api_keys WHERE account_id = ?", {account_id}).status();
}

}  // namespace latchkey
