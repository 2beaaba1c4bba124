// Envelope: per-account data keys (DEKs) and the sealing of secret values.
//
// Each account has one random 256-bit DEK, stored wrapped (AES-256-GCM) by
// the active master key in `data_keys`. Secret values are sealed with the
// account's DEK, with AAD "accountId:kind:resourceId", so a ciphertext
// copied to another row, kind or tenant fails to open. Sealed format:
// 0x01 | nonce(12) | ciphertext | tag(16).
//
// Rotating a master key means RewrapAll(): DEKs are re-wrapped under the
// active key and no sealed value is touched.
//
// Open keeps each account's *wrapped* DEK in memory once read (a DEK
// never changes; rewrapping only changes its wrapping), so opening a value
// costs two AES-GCM opens and no database read. The plaintext DEK is never
// kept: it is unwrapped for each Open and wiped after. Seal always reads
// the DEK from the database, so nothing is sealed for an account whose
// key is gone.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/data_key_store.h"
#include "common/database.h"
#include "common/master_keys.h"
#include "common/migrations.h"
#include "common/row_cache.h"

namespace latchkey {

class Envelope {
 public:
  Envelope(Database& db, const MasterKeyring& keys, const Clock& clock)
      : db_(db), keys_(keys), clock_(clock) {}

  // The `data_keys` table.
  static const std::vector<Migration>& Migrations();

  // Creates the account's DEK inside `tx`. AlreadyExists if it has one.
  Status CreateDataKey(SqlExecutor& tx, std::string_view account_id);
  // Also drops the account's cached wrapped key.
  Status DeleteDataKey(SqlExecutor& tx, std::string_view account_id);

  // Seals `plaintext` for (account, kind, resource). NotFound if the
  // account has no data key.
  Result<Bytes> Seal(SqlExecutor& exec, std::string_view account_id, std::string_view kind,
                     std::string_view resource_id, std::string_view plaintext) const;
  // Opens a value sealed by Seal with the same (account, kind, resource).
  // DataLoss if it was altered or belongs elsewhere.
  Result<SecretBytes> Open(SqlExecutor& exec, std::string_view account_id, std::string_view kind,
                           std::string_view resource_id, std::string_view sealed) const;

  // Re-wraps every DEK under the active master key in one transaction;
  // returns how many were re-wrapped. Fails (changing nothing) if any DEK
  // cannot be unwrapped.
  Result<int64_t> RewrapAll();

  // Unwraps every DEK (and keeps none); returns how many. DataLoss naming
  // the first account whose DEK does not open with the keyring.
  Result<int64_t> CheckAll() const;

  // Ids of master keys that wrap some DEK but are not in the keyring.
  Result<std::vector<std::string>> MissingMasterKeys();
  // How many data keys exist; usable before a keyring is loaded (to tell a
  // first run from a database whose master key is missing).
  static Result<int64_t> CountDataKeys(SqlExecutor& exec);

 private:
  using WrappedKey = DataKeyStore::WrappedKey;
  static constexpr size_t kCacheCapacity = 100000;

  Result<WrappedKey> ReadDataKey(SqlExecutor& exec, std::string_view account_id) const;
  Result<SecretBytes> Unwrap(const WrappedKey& key, std::string_view account_id) const;

  Database& db_;
  const MasterKeyring& keys_;
  const Clock& clock_;

  // By account id; a data key never changes, so entries do not expire.
  mutable RowCache<WrappedKey> cache_{RowCache<WrappedKey>::kForever, kCacheCapacity};
};

}  // namespace latchkey
