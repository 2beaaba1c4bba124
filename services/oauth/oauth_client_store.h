// OAuthClientStore: the SQL behind OAuthClients (per-account app
// registrations and the redirect URI allow list). Stateless; every function
// runs on the executor it is given, so callers compose them inside one
// transaction.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

// One oauth_clients row.
struct ClientRow {
  std::string provider;
  std::string client_id;
  Bytes sealed_secret;                             // empty when read by List
  std::optional<std::string> secret_last4;         // unset for short secrets
  std::optional<std::vector<std::string>> scopes;  // unset: the provider's defaults
  std::optional<std::string> tenant;               // unset: the provider's default
  TimePoint updated_at;
};

class OAuthClientStore {
 public:
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // Replaces the account's registration for row.provider.
  static Status Put(SqlExecutor& tx, const std::string& account_id, const ClientRow& row);
  // The account's registrations, in no particular order, without their
  // sealed secrets (a listing never needs them).
  static Result<std::vector<ClientRow>> List(SqlExecutor& exec, const std::string& account_id);
  // The registration with its sealed secret; nullopt when there is none.
  static Result<std::optional<ClientRow>> Get(SqlExecutor& exec, const std::string& account_id,
                                              const std::string& provider);

  // Replaces the account's redirect URI list with `uris`.
  static Status PutRedirectUris(SqlExecutor& tx, const std::string& account_id,
                                const std::vector<std::string>& uris);
  // Sorted.
  static Result<std::vector<std::string>> RedirectUris(SqlExecutor& exec,
                                                       const std::string& account_id);
  static Result<bool> HasRedirectUri(SqlExecutor& exec, const std::string& account_id,
                                     const std::string& uri);
};

}  // namespace latchkey
