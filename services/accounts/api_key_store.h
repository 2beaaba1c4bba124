// ApiKeyStore: the SQL behind ApiKeyService (table api_keys). Stateless;
// every function runs on the executor it is given, so callers compose them
// inside one transaction with the audit event that records the change.
//
// Scopes and the credential restriction are kept as space-separated lists;
// that encoding is written and read only here. Only the hash of a key's
// secret is ever stored.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"
#include "services/accounts/api_keys.h"

namespace latchkey {

// A key's row with the hash Authenticate compares against.
struct StoredApiKey {
  ApiKey key;
  std::string secret_hash;  // hex SHA-256 of the whole token
};

class ApiKeyStore {
 public:
  // Applied under the component name "api_keys"; the list and its SQL never
  // change, only grow, so existing databases keep working.
  static const std::vector<Migration>& Migrations();

  // Inserts `key` (id, account_id, name, scopes, created_at, expires_at and
  // credentials; the rest is ignored) with the hash of its secret.
  static Status Insert(SqlExecutor& tx, const ApiKey& key, const std::string& secret_hash);
  // The account's unrevoked keys, newest first (ties by id).
  static Result<std::vector<ApiKey>> ListActive(SqlExecutor& exec, const std::string& account_id);
  // The key with this id in any account, revoked or not; nullopt if absent.
  static Result<std::optional<StoredApiKey>> Get(SqlExecutor& exec, const std::string& key_id);
  // Marks the account's key revoked at `now`; false if it does not exist in
  // that account or was revoked already.
  static Result<bool> Revoke(SqlExecutor& tx, const std::string& account_id,
                             const std::string& key_id, TimePoint now);
  // Records the key's last use; a no-op for a key that is gone.
  static Status SetLastUsed(SqlExecutor& exec, const std::string& key_id, TimePoint used_at);
  // Removes every key of the account.
  static Status DeleteAll(SqlExecutor& tx, const std::string& account_id);
};

}  // namespace latchkey
