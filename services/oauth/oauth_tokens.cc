#include "services/oauth/oauth_tokens.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "services/oauth/json_fields.h"
#include "services/oauth/oauth_token_store.h"
#include "services/oauth/token_secrets.h"

namespace latchkey {
namespace {

// A Slack row's token kind ("bot" or "user"); "" for other providers.
std::string ConnectionKind(const std::string& metadata_json) {
  auto metadata = nlohmann::json::parse(metadata_json, nullptr, false);
  const std::string* kind = JsonStringMember(metadata, "token_kind");
  return kind && (*kind == "bot" || *kind == "user") ? *kind : "";
}

// Unambiguous whatever the identifier holds: a JSON array of the parts.
std::string ConnectionKey(const TokenRow& row, const std::string& kind) {
  return nlohmann::json::array({row.account_id, row.provider, row.identifier_id, kind}).dump();
}

// What the API shows: the stored status, or what the expiry and the
// failure count make of it.
TokenStatus DisplayStatus(const TokenRow& row, TimePoint now) {
  if (row.status == TokenStatus::kNeedsReauth) return row.status;
  bool expired = row.expires_at && *row.expires_at <= ToUnix(now);
  if (expired && !row.refreshable) return TokenStatus::kExpired;
  if (expired && row.failures > 0) return TokenStatus::kRefreshFailing;
  return row.status;
}

OAuthTokenInfo Info(const TokenRow& row, TimePoint now) {
  OAuthTokenInfo info;
  info.id = row.id;
  info.provider = row.provider;
  info.identifier_id = row.identifier_id;
  info.resource = row.resource;
  info.scopes = row.scopes;
  info.status = std::string(TokenStatusName(DisplayStatus(row, now)));
  if (row.expires_at) info.expires_at = FromUnix(*row.expires_at);
  info.created_at = FromUnix(row.created_at);
  if (row.last_refreshed_at) info.last_refreshed_at = FromUnix(*row.last_refreshed_at);
  info.metadata_json = row.metadata;
  info.refreshable = row.refreshable;
  auto until = UsableUntil(row.refreshable, row.expires_at,
                           row.last_refreshed_at.value_or(row.created_at), row.metadata);
  if (until) info.usable_until = FromUnix(*until);
  return info;
}

// What to do about it: a new session for the same pair renews this
// connection in place.
std::string ReauthHint(const std::string& why, const TokenRow& row) {
  return why + ": start a new authorization with POST /auth/sessions for provider '" +
         row.provider + "' and identifierId '" + row.identifier_id +
         "'; it renews this connection and keeps its id";
}

}  // namespace

Status OAuthTokens::NeedsReauthFor(const TokenRow& row) {
  return NeedsReauth(ReauthHint("the user must authorize " + row.provider + " again", row));
}

OAuthTokens::OAuthTokens(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
                         const OAuthProviders& providers, OAuthClients& clients,
                         const TokenEndpoint& endpoint, OAuthTokenOptions options)
    : db_(db),
      envelope_(envelope),
      audit_(audit),
      clock_(clock),
      providers_(providers),
      clients_(clients),
      endpoint_(endpoint),
      options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = NewId("own");
  options_.refresh_workers = std::max(1, options_.refresh_workers);
  options_.batch = std::max(1, options_.batch);
}

const std::vector<Migration>& OAuthTokens::Migrations() { return OAuthTokenStore::Migrations(); }

std::vector<std::string> OAuthTokens::OwnedTables() { return OAuthTokenStore::OwnedTables(); }

TokenRow OAuthTokens::NewRow(const std::string& account_id, const OAuthProvider& provider,
                             const std::string& identifier_id, const TokenGrant& g,
                             const std::vector<std::string>& requested, TimePoint now) const {
  TokenRow row;
  row.id = NewTimeOrderedId("otk");
  row.account_id = account_id;
  row.provider = provider.id;
  row.identifier_id = identifier_id;
  row.resource = provider.id;
  row.scopes = g.scopes.empty() ? requested : g.scopes;
  row.status = TokenStatus::kActive;
  row.refreshable = !g.refresh_token.empty();
  if (g.expires_in) row.expires_at = ToUnix(now) + *g.expires_in;
  row.next_refresh_at = NextRefresh(now, g.expires_in, row.refreshable);
  row.metadata = g.metadata_json;
  row.created_at = ToUnix(now);
  return row;
}

Result<std::vector<std::string>> OAuthTokens::Store(SqlExecutor& tx, const std::string& account_id,
                                                    const OAuthProvider& provider,
                                                    const std::string& identifier_id,
                                                    const TokenGrant& grant,
                                                    const std::vector<std::string>& requested,
                                                    const AuditContext& ctx) {
  TimePoint now = clock_.Now();
  std::vector<std::string> ids;
  for (const TokenGrant* g = &grant; g != nullptr; g = g->user.get()) {
    TokenRow row = NewRow(account_id, provider, identifier_id, *g, requested, now);
    std::string kind = ConnectionKind(row.metadata);
    row.connection_key = ConnectionKey(row, kind);
    ASSIGN_OR_RETURN(std::optional<TokenRow> existing,
                     FindConnection(tx, account_id, provider.id, identifier_id, kind));
    if (existing) {
      row.id = existing->id;
      row.created_at = existing->created_at;
      row.last_refreshed_at = ToUnix(now);  // what UsableUntil counts from
    }
    ASSIGN_OR_RETURN(SecretBytes plain, EncodeTokenSecrets(SecretsOf(*g)));
    ASSIGN_OR_RETURN(row.sealed,
                     envelope_.Seal(tx, account_id, kTokenSealKind, row.id, plain.view()));
    Status written =
        existing ? OAuthTokenStore::Replace(tx, row) : OAuthTokenStore::Insert(tx, row);
    if (written.code() == StatusCode::kNotFound) {
      // Deleted since FindConnection: run again and store it anew.
      return AlreadyExists("the connection changed meanwhile");
    }
    RETURN_IF_ERROR(written);
    AuditEvent e = AuditEvent::For(ctx, account_id,
                                   existing ? "oauth.token.replace" : "oauth.token.create", row.id);
    e.details = {{"provider", provider.id}, {"identifierId", identifier_id}};
    RETURN_IF_ERROR(audit_.Append(tx, e).status());
    ids.push_back(row.id);
  }
  return ids;
}

Result<std::optional<TokenRow>> OAuthTokens::FindConnection(SqlExecutor& exec,
                                                            const std::string& account_id,
                                                            const std::string& provider,
                                                            const std::string& identifier_id,
                                                            const std::string& kind) {
  TokenRow probe;
  probe.account_id = account_id;
  probe.provider = provider;
  probe.identifier_id = identifier_id;
  ASSIGN_OR_RETURN(std::optional<TokenRow> keyed,
                   OAuthTokenStore::GetByConnectionKey(exec, ConnectionKey(probe, kind)));
  if (keyed) return keyed;
  ASSIGN_OR_RETURN(std::vector<TokenRow> rows,
                   OAuthTokenStore::ListConnection(exec, account_id, provider, identifier_id));
  for (TokenRow& r : rows) {
    if (!r.connection_key && ConnectionKind(r.metadata) == kind) {
      return std::optional<TokenRow>(std::move(r));
    }
  }
  return std::optional<TokenRow>();
}

Status OAuthTokens::Exists(const std::string& account_id, const std::string& id) {
  return LoadOwned(account_id, id).status();
}

Result<std::string> OAuthTokens::ConnectionId(const std::string& account_id,
                                              const std::string& provider,
                                              const std::string& identifier_id,
                                              const std::optional<std::string>& kind) {
  std::vector<std::string> kinds = {"", "bot", "user"};
  if (kind) kinds = {*kind};
  for (const std::string& k : kinds) {
    ASSIGN_OR_RETURN(std::optional<TokenRow> row,
                     FindConnection(db_, account_id, provider, identifier_id, k));
    if (row) return row->id;
  }
  return NotFound("no " + provider + " connection for identifierId '" + identifier_id + "'");
}

void OAuthTokens::SetOnStored(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  on_stored_ = std::move(hook);
}

void OAuthTokens::NotifyStored() {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = on_stored_;
  }
  if (hook) hook();
}

Result<TokenRow> OAuthTokens::Load(const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<TokenRow> row, OAuthTokenStore::Get(db_, id));
  if (!row) return NotFound("no OAuth token " + id);
  return std::move(*row);
}

Result<TokenRow> OAuthTokens::LoadOwned(const std::string& account_id, const std::string& id) {
  ASSIGN_OR_RETURN(TokenRow row, Load(id));
  if (row.account_id != account_id) return NotFound("no OAuth token " + id);
  return row;
}

Result<TokenSecrets> OAuthTokens::OpenSecrets(const TokenRow& row) {
  ASSIGN_OR_RETURN(SecretBytes plain,
                   envelope_.Open(db_, row.account_id, kTokenSealKind, row.id, AsView(row.sealed)));
  return DecodeTokenSecrets(plain.view());
}

Result<std::vector<OAuthTokenInfo>> OAuthTokens::List(const std::string& account_id,
                                                      const TokenFilter& filter) {
  if (options_.uses_writer) RETURN_IF_ERROR(options_.uses_writer->Sync());
  ASSIGN_OR_RETURN(std::vector<TokenRow> rows, OAuthTokenStore::List(db_, account_id, filter));
  TimePoint now = clock_.Now();
  std::vector<OAuthTokenInfo> out;
  out.reserve(rows.size());
  for (const TokenRow& row : rows) out.push_back(Info(row, now));
  return out;
}

Result<OAuthTokenInfo> OAuthTokens::Get(const std::string& account_id, const std::string& id) {
  if (options_.uses_writer) RETURN_IF_ERROR(options_.uses_writer->Sync());
  ASSIGN_OR_RETURN(TokenRow row, LoadOwned(account_id, id));
  return Info(row, clock_.Now());
}

Result<AccessToken> OAuthTokens::Access(const std::string& account_id, const std::string& id,
                                        const AuditContext* ctx) {
  ASSIGN_OR_RETURN(TokenRow row, LoadOwned(account_id, id));
  const OAuthProvider* provider = providers_.Find(row.provider);
  if (!provider) return FailedPrecondition("OAuth provider '" + row.provider + "' is gone");
  if (row.status == TokenStatus::kNeedsReauth) return NeedsReauthFor(row);
  ASSIGN_OR_RETURN(row, RefreshIfDue(std::move(row)));
  if (row.status == TokenStatus::kNeedsReauth) return NeedsReauthFor(row);
  if (row.expires_at && *row.expires_at <= ToUnix(clock_.Now())) {
    if (!row.refreshable) {
      return NeedsReauth(ReauthHint(
          "the access token has expired and cannot be refreshed; the user must authorize " +
              row.provider + " again",
          row));
    }
    return Unavailable("the access token has expired and refreshing it is failing; retrying");
  }
  ASSIGN_OR_RETURN(TokenSecrets secrets, OpenSecrets(row));
  if (ctx) {
    AuditEvent e = AuditEvent::For(*ctx, account_id, "oauth.token.access", id);
    e.details = {{"provider", row.provider}};
    RETURN_IF_ERROR(
        db_.Transaction([&](SqlExecutor& tx) { return audit_.Append(tx, e).status(); }));
  }
  AccessToken out;
  out.access_token = std::move(secrets.access_token);
  out.token_type = secrets.token_type;
  if (row.expires_at) out.expires_at = FromUnix(*row.expires_at);
  out.provider = provider;
  return out;
}

Result<std::string> OAuthTokens::Delete(const std::string& account_id, const std::string& id,
                                        bool revoke, const AuditContext& ctx) {
  ASSIGN_OR_RETURN(TokenRow row, LoadOwned(account_id, id));
  std::string revocation = "skipped";
  if (revoke) {
    ASSIGN_OR_RETURN(revocation, RevokeAtProvider(row));
  }
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool deleted, OAuthTokenStore::Delete(tx, account_id, id));
    if (!deleted) return NotFound("no OAuth token " + id);
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.token.delete", id);
    e.details = {{"provider", row.provider},
                 {"revoked", revocation == "revoked" ? "true" : "false"},
                 {"revocation", revocation}};
    return audit_.Append(tx, e).status();
  }));
  return revocation;
}

Result<std::string> OAuthTokens::RevokeAtProvider(const TokenRow& row) {
  const OAuthProvider* provider = providers_.Find(row.provider);
  if (!provider || !provider->revocation_url) return std::string("unsupported");
  ASSIGN_OR_RETURN(TokenSecrets secrets, OpenSecrets(row));
  ASSIGN_OR_RETURN(OAuthClientCredentials client, clients_.Credentials(row.account_id, *provider));
  ASSIGN_OR_RETURN(Revocation r, endpoint_.Revoke(*provider, client, secrets.access_token,
                                                  secrets.refresh_token));
  return std::string(RevocationName(r));
}

Result<Injection> OAuthTokenCredentials::Resolve(const std::string& account_id,
                                                 const std::string& name) {
  ASSIGN_OR_RETURN(AccessToken token, tokens_.Access(account_id, name, nullptr));
  Injection out;
  out.headers.emplace_back("Authorization", token.token_type + " " + token.access_token);
  out.allowed_hosts = token.provider->api_hosts;
  out.base_url = token.provider->api_base_url;
  out.default_headers = token.provider->api_headers;
  out.secrets.push_back(token.access_token);
  return out;
}

Status OAuthTokenCredentials::RecordUses(SqlExecutor& tx, const std::string& account_id,
                                         const std::string& name, int64_t count,
                                         TimePoint last_used) {
  (void)count;  // only the last use is kept for OAuth tokens
  return OAuthTokenStore::RecordUse(tx, account_id, name, ToUnix(last_used));
}

}  // namespace latchkey
