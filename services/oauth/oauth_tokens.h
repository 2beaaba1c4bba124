// OAuthTokens: the token sets OAuth flows produce, sealed at rest, handed
// out as fresh access tokens, and refreshed before they expire.
//
// Storage: one row per token (Slack's bot and user tokens are two rows).
// Access token, refresh token and token type are sealed together with the
// account's data key (AAD kind "oauth_token", resource the token id). No
// method returns a refresh token.
//
// Refresh: a token with an expiry and a refresh token is due at
// next_refresh_at = expiry - margin - jitter, where margin is the smaller
// of the configured margin and half the token's lifetime, and jitter is up
// to a fifth of the margin. Exactly one refresh per token runs at a time:
//   - in this process, callers that find a refresh in flight (the
//     scheduler, Access, the proxy) wait for it and share its outcome;
//   - across processes, the refresher first claims the row with a
//     conditional UPDATE (lease owner and expiry); the claim also moves
//     next_refresh_at to the lease's end, so if the holder dies the token
//     falls due again when the lease runs out.
// The new access token and (when the provider sent one) the new refresh
// token are written in one transaction; a response without a refresh token
// keeps the old one. Providers' invalid_grant and its equivalents set the
// status to needs_reauth and end the refreshing; network errors, timeouts
// and 5xx retry with exponential backoff and jitter, and the status becomes
// refresh_failing once the access token has actually expired.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/credential_source.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "services/oauth/oauth_clients.h"
#include "services/oauth/providers.h"
#include "services/oauth/token_endpoint.h"
#include "services/oauth/token_filter.h"

namespace latchkey {

struct TokenRow;      // services/oauth/oauth_token_store.h
struct TokenSecrets;  // services/oauth/token_secrets.h

struct OAuthTokenOptions {
  std::chrono::seconds refresh_margin{300};
  std::chrono::seconds lease{90};  // longer than the token endpoint's total timeout
  // How long a caller waits for another replica's refresh of the same
  // token before it gets Unavailable (503, retry) instead.
  std::chrono::seconds holder_wait{20};
  std::chrono::seconds first_backoff{10};
  std::chrono::seconds max_backoff{3600};
  int refresh_workers = 4;  // concurrent refreshes in one scheduler pass
  int batch = 256;          // tokens claimed per pass
  std::string owner;        // this process's lease owner id; random if empty
  // When set, List and Get first sync with it: the proxy records each use
  // (lastUsedAt) through it.
  AuditWriter* uses_writer = nullptr;
};

struct OAuthTokenInfo {
  std::string id;
  std::string provider;
  std::string identifier_id;
  std::string resource;  // the provider id
  std::vector<std::string> scopes;
  // TokenStatusName of the token's TokenStatus (token_status.h): active |
  // refresh_failing | needs_reauth | expired (expired and not refreshable)
  std::string status;
  std::optional<TimePoint> expires_at;
  TimePoint created_at;
  std::optional<TimePoint> last_refreshed_at;
  std::string metadata_json;
  bool refreshable = false;
  // See UsableUntil (token_status.h): past it only the user can renew access.
  std::optional<TimePoint> usable_until;
};

struct AccessToken {
  AccessToken() = default;
  AccessToken(AccessToken&&) = default;
  ~AccessToken() { SecureWipe(access_token.data(), access_token.size()); }
  std::string access_token;
  std::string token_type;
  std::optional<TimePoint> expires_at;
  const OAuthProvider* provider = nullptr;
};

class OAuthTokens {
 public:
  OAuthTokens(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
              const OAuthProviders& providers, OAuthClients& clients, const TokenEndpoint& endpoint,
              OAuthTokenOptions options = {});

  OAuthTokens(const OAuthTokens&) = delete;
  OAuthTokens& operator=(const OAuthTokens&) = delete;

  static const std::vector<Migration>& Migrations();
  static std::vector<std::string> OwnedTables();

  // Stores a grant inside `tx` (and Slack's user token as a second row);
  // returns the ids, the grant's first. A connection is one account,
  // provider, identifier and (Slack only) kind, "bot" or "user": a grant
  // for a connection that exists replaces its tokens in place, keeping its
  // id (audited as oauth.token.replace); any other is a new row
  // (oauth.token.create). `requested_scopes` stand in when the provider
  // does not report what it granted. AlreadyExists when a concurrent
  // transaction stored the same new connection first, or deleted the one
  // being replaced: run it again. Call NotifyStored() after the transaction
  // commits. The old grant is overwritten, not revoked at the provider
  // (revoking could end the new grant too, as Google and GitHub revoke
  // whole grants).
  Result<std::vector<std::string>> Store(SqlExecutor& tx, const std::string& account_id,
                                         const OAuthProvider& provider,
                                         const std::string& identifier_id, const TokenGrant& grant,
                                         const std::vector<std::string>& requested_scopes,
                                         const AuditContext& ctx);
  void NotifyStored();
  // Called (outside any lock) whenever a stored token may fall due earlier
  // than anything known before; the refresh scheduler hooks in here.
  void SetOnStored(std::function<void()> hook);

  // The account's tokens matching `filter`, newest first.
  Result<std::vector<OAuthTokenInfo>> List(const std::string& account_id,
                                           const TokenFilter& filter);
  Result<OAuthTokenInfo> Get(const std::string& account_id, const std::string& id);
  // OK when the account has the token, NotFound when it has not; one read
  // (whose error, if any, is returned).
  Status Exists(const std::string& account_id, const std::string& id);
  // The token id of a connection (see Store). `kind` picks Slack's "bot"
  // or "user" token; without it the bot token is preferred. NotFound when
  // the account has no such connection.
  Result<std::string> ConnectionId(const std::string& account_id, const std::string& provider,
                                   const std::string& identifier_id,
                                   const std::optional<std::string>& kind);

  // A usable access token, refreshed first when it is due. NotFound for
  // another account's token; NeedsReauth when only the user can renew it;
  // Unavailable when it has expired and refreshing is failing. Audited as
  // oauth.token.access when `ctx` is given.
  Result<AccessToken> Access(const std::string& account_id, const std::string& id,
                             const AuditContext* ctx);

  // Revokes at the provider (when it has a revocation endpoint and
  // `revoke`), then deletes. A revocation endpoint that cannot be reached
  // or answers 429 or 5xx fails the call and keeps the token; any other
  // answer deletes it. Returns (and audits as `revocation`) what happened at
  // the provider: RevocationName's words, "unsupported" (no endpoint) or
  // "skipped" (not `revoke`).
  Result<std::string> Delete(const std::string& account_id, const std::string& id, bool revoke,
                             const AuditContext& ctx);

  // One scheduler pass: refreshes up to options.batch tokens that are due
  // now, found through the next_refresh_at index. Returns how many were
  // due.
  Result<int> RunDue();
  // The earliest next_refresh_at of any token, nullopt when none has one.
  Result<std::optional<TimePoint>> NextDue();

  const OAuthTokenOptions& options() const { return options_; }

 private:
  struct Flight;
  struct Refreshed;

  static Status NeedsReauthFor(const TokenRow& row);
  // The token, from any account; NotFound when there is none.
  Result<TokenRow> Load(const std::string& id);
  // The token when it belongs to `account_id`; NotFound otherwise, so
  // another account's ids look like ids that do not exist.
  Result<TokenRow> LoadOwned(const std::string& account_id, const std::string& id);
  Result<TokenSecrets> OpenSecrets(const TokenRow& row);
  // The row of a connection: the one carrying its connection key, else the
  // newest of the same kind stored before keys were kept.
  Result<std::optional<TokenRow>> FindConnection(SqlExecutor& exec, const std::string& account_id,
                                                 const std::string& provider,
                                                 const std::string& identifier_id,
                                                 const std::string& kind);
  TokenRow NewRow(const std::string& account_id, const OAuthProvider& provider,
                  const std::string& identifier_id, const TokenGrant& grant,
                  const std::vector<std::string>& requested_scopes, TimePoint now) const;
  // Refreshes first when the token is due (or expired and refreshable);
  // returns the row as it stands afterwards, or NeedsReauth when the
  // refresh found the grant dead. Other refresh failures are recorded in
  // the row (failures, backoff) rather than returned.
  Result<TokenRow> RefreshIfDue(TokenRow row);
  // What the provider made of revoking the row's grant ("unsupported"
  // without an endpoint); see Delete.
  Result<std::string> RevokeAtProvider(const TokenRow& row);

  // Single flight: runs RefreshClaimed once for any number of callers in
  // this process, and hands each the same outcome.
  Status RefreshShared(const std::string& id);
  // One refresh as named steps: claim the lease, call the provider, then
  // exactly one of CommitGrant, MarkNeedsReauth or ScheduleRetry, each of
  // which releases the lease in the transaction that records the outcome.
  Status RefreshClaimed(const std::string& id);
  // The claim failed: NeedsReauth, the wait for another replica's refresh,
  // or OK because the token is no longer due.
  Status AfterLostClaim(const std::string& id, int64_t now);
  // Unavailable once options_.holder_wait (at most the lease) has passed.
  Status WaitForOtherHolder(const std::string& id);
  Result<Refreshed> CallProvider(const TokenRow& row);
  Status CommitGrant(const TokenRow& row, const Refreshed& refreshed);
  // These two return `reason` once the outcome is recorded.
  Status MarkNeedsReauth(const TokenRow& row, const Status& reason);
  Status ScheduleRetry(const TokenRow& row, const Status& reason);
  // Seconds until retry number `failures`: exponential, capped, jittered.
  int64_t Backoff(int64_t failures) const;
  std::optional<int64_t> NextRefresh(TimePoint now, std::optional<int64_t> expires_in,
                                     bool refreshable) const;

  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  const OAuthProviders& providers_;
  OAuthClients& clients_;
  const TokenEndpoint& endpoint_;
  OAuthTokenOptions options_;  // fixed after construction

  std::mutex mu_;
  // Refreshes in flight in this process, by token id. Guarded by mu_.
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  // Called by NotifyStored, outside mu_. Guarded by mu_.
  std::function<void()> on_stored_;
};

// The proxy's view of OAuth tokens: a token id names a credential that
// injects "Authorization: Bearer <fresh access token>" toward the
// provider's API hosts only.
class OAuthTokenCredentials final : public CredentialSource {
 public:
  explicit OAuthTokenCredentials(OAuthTokens& tokens) : tokens_(tokens) {}
  Result<Injection> Resolve(const std::string& account_id, const std::string& name) override;
  Status Exists(const std::string& account_id, const std::string& name) override {
    return tokens_.Exists(account_id, name);
  }
  Status RecordUses(SqlExecutor& tx, const std::string& account_id, const std::string& name,
                    int64_t count, TimePoint last_used) override;

 private:
  OAuthTokens& tokens_;
};

}  // namespace latchkey
