// OAuthClients: each account's OAuth app registration per provider (client
// id, write-only client secret, default scopes, tenant) and the list of
// redirect URIs its sessions may send users back to.
//
// Client secrets are sealed with the account's data key (AAD kind
// "oauth_client_secret", resource the provider id) and never leave this
// class except to the flow that authenticates at the token endpoint;
// reads show only whether one is set and its last four characters.
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "services/oauth/providers.h"
#include "services/oauth/token_endpoint.h"

namespace latchkey {

// OK when every scope is a valid RFC 6749 scope token without a comma
// (Slack separates with commas), at most 64 of them; `field` names the
// list in the error.
Status CheckOAuthScopes(const std::vector<std::string>& scopes, std::string_view field);

// Scope lists as stored: a JSON array of strings. Parsing skips anything
// that is not a string and yields an empty list for malformed text.
std::string ScopeListJson(const std::vector<std::string>& scopes);
std::vector<std::string> ParseScopeList(const std::string& json_array);

struct OAuthClientWrite {
  std::string client_id;
  std::string client_secret;
  std::optional<std::vector<std::string>> scopes;  // the provider's defaults if unset
  std::optional<std::string> tenant;               // providers that use one only
  ~OAuthClientWrite() { SecureWipe(client_secret.data(), client_secret.size()); }
};

struct OAuthClientInfo {
  const OAuthProvider* provider = nullptr;
  bool configured = false;
  std::string client_id;
  std::optional<std::string> secret_last4;
  std::vector<std::string> scopes;  // effective
  std::optional<std::string> tenant;
  std::optional<TimePoint> updated_at;
};

class OAuthClients {
 public:
  static constexpr size_t kMaxRedirectUris = 32;

  OAuthClients(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
               const OAuthProviders& providers)
      : db_(db), envelope_(envelope), audit_(audit), clock_(clock), providers_(providers) {}

  static const std::vector<Migration>& Migrations();
  static std::vector<std::string> OwnedTables();

  // NotFound for an unknown provider; InvalidArgument (naming the field)
  // for an empty or oversized client id or secret, control characters, a
  // scope with a space or comma, or a tenant the provider does not take.
  Result<OAuthClientInfo> Put(const std::string& account_id, const std::string& provider,
                              const OAuthClientWrite& write, const AuditContext& ctx);
  // Every provider in the registry, configured or not, in registry order.
  Result<std::vector<OAuthClientInfo>> List(const std::string& account_id);

  // Replaces the list. InvalidArgument for more than kMaxRedirectUris, or a
  // URI that is not absolute https (http only to localhost or a loopback
  // address), has a fragment or user info, or is over 2048 characters.
  Result<std::vector<std::string>> SetRedirectUris(const std::string& account_id,
                                                   const std::vector<std::string>& uris,
                                                   const AuditContext& ctx);
  Result<std::vector<std::string>> RedirectUris(const std::string& account_id);
  // Whether `uri` is on the account's list, compared exactly.
  Result<bool> IsRedirectUriAllowed(const std::string& account_id, const std::string& uri);

  // The registration with its client secret opened, for a token request.
  // FailedPrecondition when the account has not configured the provider.
  Result<OAuthClientCredentials> Credentials(const std::string& account_id,
                                             const OAuthProvider& provider);
  // The same without the client secret (client id, scopes, tenant): for
  // building URLs and checks that never talk to the token endpoint.
  Result<OAuthClientCredentials> PublicPart(const std::string& account_id,
                                            const OAuthProvider& provider);

 private:
  Result<OAuthClientCredentials> Registration(const std::string& account_id,
                                              const OAuthProvider& provider, bool open_secret);

  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  const OAuthProviders& providers_;
};

}  // namespace latchkey
