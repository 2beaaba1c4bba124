// IdempotencyStore: the SQL behind Idempotency-Key (table idempotency_keys).
// One row per (account, hashed key): the hash of the request it was first
// used with, and once that request succeeded, the response to replay. The
// key itself is never stored, only its SHA-256.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

struct IdempotencyRow {
  std::string account_id;  // "" for the operator's admin key
  std::string key_hash;
  std::string request_hash;
  std::optional<int> status;  // nullopt while the first request runs
  std::string response;       // the body to replay, once status is set
  int64_t locked_until = 0;   // while running: taken over after this
  int64_t created_at = 0;
  // Names the request that holds the key now (a new one at each takeover),
  // so that a request that lost it can no longer complete or release it.
  std::string lease;
};

class IdempotencyStore {
 public:
  // Applied under the component name "idempotency".
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // Inserts `row` unless the account already has its key; true if inserted.
  static Result<bool> InsertIfAbsent(SqlExecutor& tx, const IdempotencyRow& row);
  static Result<std::optional<IdempotencyRow>> Get(SqlExecutor& exec, const std::string& account_id,
                                                   const std::string& key_hash);
  // Writes `row` over the stored one if that still has `expected_lease`
  // (so that one of two takers wins); true if written.
  static Result<bool> TakeOver(SqlExecutor& tx, const IdempotencyRow& row,
                               const std::string& expected_lease);
  // Records the response of the request holding `lease`, if it still does.
  static Status Complete(SqlExecutor& tx, const std::string& account_id,
                         const std::string& key_hash, const std::string& lease, int status,
                         const std::string& response);
  // Forgets the key if the request holding `lease` still does (it failed).
  static Status Release(SqlExecutor& tx, const std::string& account_id, const std::string& key_hash,
                        const std::string& lease);
  // Deletes the keys created before `cutoff`; returns how many.
  static Result<int64_t> DeleteOlderThan(SqlExecutor& tx, int64_t cutoff);
};

}  // namespace latchkey
