// CredentialStore: the SQL behind the credentials service, for its two
// aggregates: provider keys (table provider_credentials, one row per account
// and provider) and typed secrets (table secrets, one row per account and
// name). Stateless; every function runs on the executor it is given, so
// callers compose them inside one transaction with the audit event that
// records the change.
//
// Values come in and go out sealed: no plaintext passes through here. The
// JSON kept in the allowed_hosts and masked columns is written and read only
// here; a column that does not read back is DataLoss, never an exception.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/database.h"
#include "common/migrations.h"
#include "services/credentials/credentials.h"

namespace latchkey {

// A provider key's row as reads show it (the sealed value left out).
struct StoredProviderKey {
  std::string provider;  // ProviderInfo::id
  std::optional<std::string> last4;
  // nullopt: the provider's default hosts apply.
  std::optional<std::vector<std::string>> allowed_hosts;
  std::optional<std::string> base_url;  // nullopt: the provider's default
  TimePoint updated_at;
  std::optional<TimePoint> last_used_at;
  int64_t use_count = 0;
};

// What Resolve needs of a provider key.
struct SealedProviderKey {
  Bytes sealed;
  std::optional<std::vector<std::string>> allowed_hosts;  // nullopt: the defaults
  std::optional<std::string> base_url;                    // nullopt: the default
};

// What Resolve needs of a secret.
struct SealedSecret {
  SecretType type = SecretType::kApiKey;
  Bytes sealed;
  std::vector<std::string> allowed_hosts;
  std::optional<std::string> base_url;
};

class CredentialStore {
 public:
  // Applied under the component name "credentials"; the list and its SQL
  // never change, only grow, so existing databases keep working.
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // ---- provider keys ----

  // Sets the account's key for `provider`; an existing key keeps its
  // allowed hosts and usage counts. `last4` nullopt stores NULL.
  static Status PutProviderKey(SqlExecutor& tx, const std::string& account_id,
                               const std::string& provider, const Bytes& sealed,
                               const std::optional<std::string>& last4, TimePoint now);
  // Returns false if the account had no key for `provider`.
  static Result<bool> DeleteProviderKey(SqlExecutor& tx, const std::string& account_id,
                                        const std::string& provider);
  // Replaces the key's allowed hosts (nullopt: back to the provider's
  // defaults). Returns false, changing nothing, if there is no key.
  static Result<bool> SetProviderHosts(SqlExecutor& tx, const std::string& account_id,
                                       const std::string& provider,
                                       const std::optional<std::vector<std::string>>& hosts,
                                       TimePoint now);
  // Replaces the key's base URL (nullopt: back to the provider's default).
  // Returns false, changing nothing, if there is no key.
  static Result<bool> SetProviderBaseUrl(SqlExecutor& tx, const std::string& account_id,
                                         const std::string& provider,
                                         const std::optional<std::string>& base_url, TimePoint now);
  // The account's keys, in no particular order. DataLoss for a row whose
  // hosts do not read back.
  static Result<std::vector<StoredProviderKey>> ListProviderKeys(SqlExecutor& exec,
                                                                 const std::string& account_id);
  // nullopt if the account has no key for `provider`.
  static Result<std::optional<SealedProviderKey>> GetSealedProviderKey(
      SqlExecutor& exec, const std::string& account_id, const std::string& provider);
  // Adds `count` uses, the last at `last_used`; no key, no change.
  static Status RecordProviderKeyUses(SqlExecutor& tx, const std::string& account_id,
                                      const std::string& provider, int64_t count,
                                      TimePoint last_used);

  // ---- typed secrets ----

  static Result<int64_t> CountSecrets(SqlExecutor& exec, const std::string& account_id);
  static Result<bool> SecretExists(SqlExecutor& exec, const std::string& account_id,
                                   const std::string& name);
  // Inserts version 1 of a secret from info's id, account_id, name, type,
  // allowed_hosts, parts, param, created_at and updated_at (the rest is
  // ignored). Returns the row as stored. AlreadyExists if the name is taken.
  static Result<SecretInfo> InsertSecret(SqlExecutor& tx, const SecretInfo& info,
                                         const Bytes& sealed);
  // Stores the next version of secret `info.id`: type, allowed_hosts, parts,
  // param and updated_at from `info`, the version counted up. Returns the row
  // as stored; NotFound if there is no such secret.
  static Result<SecretInfo> UpdateSecret(SqlExecutor& tx, const SecretInfo& info,
                                         const Bytes& sealed);
  // nullopt if the account has no secret by that name; DataLoss for a row
  // that does not read back (unknown type, bad masked or hosts JSON).
  static Result<std::optional<SecretInfo>> GetSecret(SqlExecutor& exec,
                                                     const std::string& account_id,
                                                     const std::string& name);
  // The account's secrets ordered by name; DataLoss as GetSecret.
  static Result<std::vector<SecretInfo>> ListSecrets(SqlExecutor& exec,
                                                     const std::string& account_id);
  // Returns the deleted secret's id, nullopt if there was none.
  static Result<std::optional<std::string>> DeleteSecret(SqlExecutor& tx,
                                                         const std::string& account_id,
                                                         const std::string& name);
  // nullopt if absent; DataLoss for an unknown type or bad hosts JSON.
  static Result<std::optional<SealedSecret>> GetSealedSecret(SqlExecutor& exec,
                                                             const std::string& account_id,
                                                             const std::string& name);
  // Adds `count` uses, the last at `last_used`; no secret, no change.
  static Status RecordSecretUses(SqlExecutor& tx, const std::string& account_id,
                                 const std::string& name, int64_t count, TimePoint last_used);
};

}  // namespace latchkey
