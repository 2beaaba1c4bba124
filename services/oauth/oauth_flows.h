// OAuthFlows: the authorization-code flow (RFC 6749 §4.1) with PKCE
// (RFC 7636), state, and issuer identification (RFC 9207), following the
// security BCP (RFC 9700).
//
//   CreateSession   an app asks for a link for one user (identifierId) and
//                   one provider; the link is single use and lives 10 min.
//   Authorize       the user's browser opens the link: a fresh random state
//                   (stored only as its SHA-256) and PKCE verifier (sealed)
//                   are bound to the session, and the browser is sent to
//                   the provider.
//   Callback        the provider sends the browser back with a code: the
//                   state must be known, unused and unexpired, `iss` (when
//                   present) must be the provider's issuer, exactly; the
//                   session is consumed before the code is exchanged, so a
//                   replayed callback does nothing; the browser goes on to
//                   the session's redirectUri with status=success&tokenId=
//                   or status=error&error=CODE.
//   Exchange        for sessions created with delivery "exchange": the
//                   provider sends the code to the app's own redirect URI
//                   and the app hands it over with the state.
//
// Every redirectUri must be on the account's allow list, compared exactly.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/logger.h"
#include "common/migrations.h"
#include "common/url.h"
#include "services/oauth/oauth_clients.h"
#include "services/oauth/oauth_tokens.h"
#include "services/oauth/providers.h"
#include "services/oauth/token_endpoint.h"

namespace latchkey {

struct OAuthSessionRow;  // services/oauth/oauth_flow_store.h

enum class CodeDelivery { kRedirect, kExchange };

struct SessionRequest {
  std::string provider;
  std::string identifier_id;
  std::string redirect_uri;
  std::optional<std::vector<std::string>> scopes;       // the client's defaults if unset
  std::optional<std::vector<std::string>> user_scopes;  // Slack's user_scope
  CodeDelivery delivery = CodeDelivery::kRedirect;
};

struct CreatedSession {
  std::string id;
  std::string url;
  TimePoint expires_at;
};

struct ExchangeResult {
  std::string provider;
  std::vector<std::string> scopes;
  std::optional<TimePoint> expires_at;
  std::vector<std::string> token_ids;  // the grant's, then Slack's user token
};

class OAuthFlows {
 public:
  static constexpr std::chrono::seconds kSessionLifetime{600};

  OAuthFlows(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
             const OAuthProviders& providers, OAuthClients& clients, OAuthTokens& tokens,
             const TokenEndpoint& endpoint)
      : db_(db),
        envelope_(envelope),
        audit_(audit),
        clock_(clock),
        providers_(providers),
        clients_(clients),
        tokens_(tokens),
        endpoint_(endpoint) {}

  static const std::vector<Migration>& Migrations();
  static std::vector<std::string> OwnedTables();

  // Where failed flows are logged (event "oauth.flow.failure", with the
  // reason); unset, they are only audited. Call at startup, before any
  // request; `logger` must outlive this object.
  void set_logger(Logger* logger) { logger_ = logger; }

  // NotFound for an unknown provider; FailedPrecondition when the account
  // has not configured it; InvalidArgument for a redirectUri not on the
  // list, a bad identifierId or scopes.
  Result<CreatedSession> CreateSession(const std::string& account_id, const SessionRequest& request,
                                       const std::string& public_url, const AuditContext& ctx);

  // The provider URL to send the browser to. InvalidArgument for an
  // unknown, used or expired session, or one for another provider.
  Result<std::string> Authorize(const std::string& provider, const std::string& session_id,
                                const std::string& public_url);

  // Where to send the browser after the provider's redirect. InvalidArgument
  // (with nothing changed) when the state is missing, unknown or used: there
  // is no session to go back to.
  Result<std::string> Callback(const FormFields& query, const std::string& public_url,
                               const AuditContext& ctx);

  // InvalidArgument for a state that is unknown (or another account's),
  // used, expired, for another provider, not an exchange session, or with
  // another redirectUri; the provider's refusal otherwise.
  Result<ExchangeResult> Exchange(const std::string& account_id, const std::string& code,
                                  const std::string& provider, const std::string& redirect_uri,
                                  const std::string& state, const AuditContext& ctx);

  // Deletes sessions that expired more than a day ago; returns how many.
  Result<int64_t> PurgeExpiredSessions();

 private:
  using Session = OAuthSessionRow;

  // InvalidArgument (naming the field) for what CreateSession refuses.
  Status CheckSessionRequest(const std::string& account_id, const OAuthProvider& provider,
                             const SessionRequest& request);
  // Binds `state` (stored as its hash) and the PKCE `verifier` (sealed;
  // empty without PKCE) to the session. InvalidArgument if it was started
  // already.
  Status Start(const Session& session, const std::string& state, const std::string& verifier,
               TimePoint now);
  // InvalidArgument for a state no session has.
  Result<Session> FindByState(const std::string& state);
  // Consumes the session; false if someone else already did.
  Result<bool> Consume(const Session& session);
  Result<ExchangeResult> Redeem(const Session& session, const OAuthProvider& provider,
                                const std::string& code, const std::string& redirect_uri,
                                const AuditContext& ctx);
  // Records a failed flow: `code` is what the browser or app was told,
  // `reason` why (the provider's error code, timeout, tls, connect,
  // bad_response, internal, or `code` itself); also logged when a logger is
  // set.
  void AuditFailure(const Session& session, const std::string& code, const std::string& reason,
                    const AuditContext& ctx);

  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  const OAuthProviders& providers_;
  OAuthClients& clients_;
  OAuthTokens& tokens_;
  const TokenEndpoint& endpoint_;
  Logger* logger_ = nullptr;  // set at startup only (set_logger)
};

}  // namespace latchkey
