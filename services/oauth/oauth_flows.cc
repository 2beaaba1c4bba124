#include "services/oauth/oauth_flows.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/logger.h"
#include "services/oauth/oauth_flow_store.h"

namespace latchkey {
namespace {

// The envelope's AAD kind for sealed PKCE verifiers.
constexpr char kVerifierKind[] = "oauth_pkce_verifier";

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

Status CheckIdentifier(const std::string& id) {
  if (id.empty() || id.size() > 256)
    return InvalidArgument("identifierId must be 1-256 characters");
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument("identifierId has control characters");
  }
  return Status::Ok();
}

// A provider's error code, cut to what a query parameter can carry safely.
std::string SafeErrorCode(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (out.size() >= 64) break;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') out += c;
  }
  return out.empty() ? "provider_error" : out;
}

// TokenEndpoint names the provider's error code in parentheses at the end
// of its message ("... refused the request (invalid_client)"); nullopt when
// the message carries none. Cut to what SafeErrorCode lets through and a
// little more (provider codes may hold '-' and '.'), so nothing else of the
// message can reach the audit log.
std::optional<std::string> ProviderCode(const std::string& message) {
  if (message.rfind("the provider", 0) != 0 || message.empty() || message.back() != ')') {
    return std::nullopt;
  }
  size_t open = message.rfind('(');
  if (open == std::string::npos) return std::nullopt;
  std::string out;
  for (char c : message.substr(open + 1, message.size() - open - 2)) {
    if (out.size() >= 64) break;
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.';
    if (!safe) return std::nullopt;
    out += c;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Why a code exchange failed, for the audit event and the log: the
// provider's error code when the token endpoint said one; else timeout,
// tls, connect (could not be reached) or bad_response (an answer we could
// not use); internal for a failure on our side. TokenEndpoint folds DNS,
// connect and TLS failures into one message, so tls appears only if a
// message names TLS.
std::string ExchangeFailureReason(const Status& error) {
  const std::string& m = error.message();
  switch (error.code()) {
    case StatusCode::kUpstreamTimeout:
      return "timeout";
    case StatusCode::kNeedsReauth:
    case StatusCode::kFailedPrecondition:
      return ProviderCode(m).value_or("internal");
    case StatusCode::kUpstreamError:
      if (auto code = ProviderCode(m)) return *code;
      if (m.find("TLS") != std::string::npos) return "tls";
      if (m.find("could not be reached") != std::string::npos) return "connect";
      return "bad_response";
    default:
      return "internal";
  }
}

std::optional<std::string> Field(const FormFields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// The provider URL Authorize sends the browser to (RFC 6749 §4.1.1, with
// RFC 7636's code challenge when `verifier` is set).
std::string AuthorizationUrl(const OAuthSessionRow& session, const OAuthProvider& provider,
                             const OAuthClientCredentials& client, const std::string& state,
                             const std::string& verifier, const std::string& public_url) {
  FormFields params = {{"response_type", "code"}, {"client_id", client.client_id}};
  params.emplace_back("redirect_uri", session.delivery == CodeDelivery::kExchange
                                          ? session.redirect_uri
                                          : public_url + "/auth/callback");
  if (!session.scopes.empty()) {
    params.emplace_back("scope", Join(session.scopes, provider.scope_separator));
  }
  if (session.user_scopes && !session.user_scopes->empty()) {
    params.emplace_back("user_scope", Join(*session.user_scopes, provider.scope_separator));
  }
  params.emplace_back("state", state);
  if (!verifier.empty()) {
    params.emplace_back("code_challenge", Base64UrlEncode(AsView(Sha256(verifier))));
    params.emplace_back("code_challenge_method", "S256");
  }
  for (const auto& p : provider.authorization_params) params.push_back(p);
  return AppendQuery(provider.AuthorizationUrl(client.tenant, client.client_id), params);
}

}  // namespace

const std::vector<Migration>& OAuthFlows::Migrations() { return OAuthFlowStore::Migrations(); }

std::vector<std::string> OAuthFlows::OwnedTables() { return OAuthFlowStore::OwnedTables(); }

Status OAuthFlows::CheckSessionRequest(const std::string& account_id, const OAuthProvider& provider,
                                       const SessionRequest& request) {
  RETURN_IF_ERROR(CheckIdentifier(request.identifier_id));
  if (request.scopes) RETURN_IF_ERROR(CheckOAuthScopes(*request.scopes, "scopes"));
  if (request.user_scopes) {
    if (provider.dialect != TokenDialect::kSlack) {
      return InvalidArgument("userScopes: only Slack takes user scopes");
    }
    RETURN_IF_ERROR(CheckOAuthScopes(*request.user_scopes, "userScopes"));
  }
  ASSIGN_OR_RETURN(bool allowed, clients_.IsRedirectUriAllowed(account_id, request.redirect_uri));
  if (!allowed) {
    return InvalidArgument(
        "redirectUri is not on this account's list (PUT /oauth/redirect-uris);"
        " it must match an entry exactly");
  }
  return Status::Ok();
}

Result<CreatedSession> OAuthFlows::CreateSession(const std::string& account_id,
                                                 const SessionRequest& request,
                                                 const std::string& public_url,
                                                 const AuditContext& ctx) {
  const OAuthProvider* provider = providers_.Find(request.provider);
  if (!provider) return NotFound("no OAuth provider named '" + request.provider + "'");
  RETURN_IF_ERROR(CheckSessionRequest(account_id, *provider, request));
  ASSIGN_OR_RETURN(OAuthClientCredentials client, clients_.PublicPart(account_id, *provider));
  TimePoint now = clock_.Now();
  Session session;
  session.id = "oas_" + Base64UrlEncode(AsView(RandomBytes(24)));
  session.account_id = account_id;
  session.provider = provider->id;
  session.identifier_id = request.identifier_id;
  session.redirect_uri = request.redirect_uri;
  session.scopes = request.scopes ? *request.scopes : client.scopes;
  session.user_scopes = request.user_scopes;
  session.delivery = request.delivery;
  session.created_at = ToUnix(now);
  session.expires_at = ToUnix(now + kSessionLifetime);
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(OAuthFlowStore::Insert(tx, session));
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.session.create", session.id);
    e.details = {{"provider", provider->id}, {"identifierId", request.identifier_id}};
    return audit_.Append(tx, e).status();
  }));
  CreatedSession out;
  out.id = session.id;
  out.url = public_url + "/auth/" + provider->id + "?session=" + session.id;
  out.expires_at = now + kSessionLifetime;
  return out;
}

Result<std::string> OAuthFlows::Authorize(const std::string& provider_id,
                                          const std::string& session_id,
                                          const std::string& public_url) {
  ASSIGN_OR_RETURN(std::optional<Session> session, OAuthFlowStore::Get(db_, session_id));
  if (!session) return InvalidArgument("unknown authorization session");
  if (session->provider != provider_id) {
    return InvalidArgument("this session is for provider '" + session->provider + "'");
  }
  if (session->started) return InvalidArgument("this authorization link was already used");
  TimePoint now = clock_.Now();
  if (session->expires_at <= ToUnix(now)) {
    return InvalidArgument("this authorization link has expired; start a new session");
  }
  const OAuthProvider* provider = providers_.Find(provider_id);
  if (!provider) return NotFound("no OAuth provider named '" + provider_id + "'");
  ASSIGN_OR_RETURN(OAuthClientCredentials client,
                   clients_.PublicPart(session->account_id, *provider));

  std::string state = Base64UrlEncode(AsView(RandomBytes(32)));
  std::string verifier;
  if (provider->pkce) verifier = Base64UrlEncode(AsView(RandomBytes(32)));  // 43 characters
  Status started = Start(*session, state, verifier, now);
  std::string url;
  if (started.ok())
    url = AuthorizationUrl(*session, *provider, client, state, verifier, public_url);
  SecureWipe(verifier.data(), verifier.size());
  RETURN_IF_ERROR(started);
  return url;
}

Status OAuthFlows::Start(const Session& session, const std::string& state,
                         const std::string& verifier, TimePoint now) {
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    std::optional<Bytes> sealed;
    if (!verifier.empty()) {
      ASSIGN_OR_RETURN(sealed,
                       envelope_.Seal(tx, session.account_id, kVerifierKind, session.id, verifier));
    }
    ASSIGN_OR_RETURN(bool started,
                     OAuthFlowStore::Start(tx, session.id, ToUnix(now), Sha256Hex(state), sealed));
    if (!started) return InvalidArgument("this authorization link was already used");
    return Status::Ok();
  });
}

Result<OAuthFlows::Session> OAuthFlows::FindByState(const std::string& state) {
  if (state.empty() || state.size() > 512) return InvalidArgument("unknown or used state");
  ASSIGN_OR_RETURN(std::optional<Session> session,
                   OAuthFlowStore::FindByStateHash(db_, Sha256Hex(state)));
  if (!session) return InvalidArgument("unknown or used state");
  return std::move(*session);
}

Result<bool> OAuthFlows::Consume(const Session& session) {
  return OAuthFlowStore::Complete(db_, session.id, ToUnix(clock_.Now()));
}

void OAuthFlows::AuditFailure(const Session& session, const std::string& code,
                              const std::string& reason, const AuditContext& ctx) {
  AuditEvent e = AuditEvent::For(ctx, session.account_id, "oauth.flow", session.id, "failure");
  // Codes and reasons only: never the authorization code, a token or the
  // client secret.
  e.details = {{"provider", session.provider}, {"error", code}, {"reason", reason}};
  // Best effort: the browser is told either way.
  db_.Transaction([&](SqlExecutor& tx) { return audit_.Append(tx, e).status(); }).IgnoreError();
  if (logger_) {
    logger_->Warn("oauth.flow.failure", {{"session", session.id},
                                         {"account", session.account_id},
                                         {"provider", session.provider},
                                         {"request_id", ctx.request_id},
                                         {"error", code},
                                         {"reason", reason}});
  }
}

Result<ExchangeResult> OAuthFlows::Redeem(const Session& session, const OAuthProvider& provider,
                                          const std::string& code, const std::string& redirect_uri,
                                          const AuditContext& ctx) {
  ASSIGN_OR_RETURN(OAuthClientCredentials client,
                   clients_.Credentials(session.account_id, provider));
  std::optional<std::string> verifier;
  if (session.sealed_verifier) {
    ASSIGN_OR_RETURN(SecretBytes plain,
                     envelope_.Open(db_, session.account_id, kVerifierKind, session.id,
                                    AsView(*session.sealed_verifier)));
    verifier = std::string(plain.view());
  }
  auto grant = endpoint_.ExchangeCode(provider, client, code, redirect_uri, verifier);
  if (verifier) SecureWipe(verifier->data(), verifier->size());
  RETURN_IF_ERROR(grant.status());
  ExchangeResult out;
  out.provider = provider.id;
  out.scopes = grant->scopes.empty() ? session.scopes : grant->scopes;
  if (grant->expires_in) out.expires_at = clock_.Now() + std::chrono::seconds(*grant->expires_in);
  auto store = [&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(out.token_ids,
                     tokens_.Store(tx, session.account_id, provider, session.identifier_id, *grant,
                                   session.scopes, ctx));
    return Status::Ok();
  };
  Status stored = db_.Transaction(store);
  // A concurrent transaction stored the same new connection first (or
  // deleted the one this replaces); run again, against what is there now.
  if (stored.code() == StatusCode::kAlreadyExists) stored = db_.Transaction(store);
  RETURN_IF_ERROR(stored);
  tokens_.NotifyStored();
  return out;
}

Result<std::string> OAuthFlows::Callback(const FormFields& query, const std::string& public_url,
                                         const AuditContext& ctx) {
  auto state = Field(query, "state");
  if (!state) return InvalidArgument("the callback has no state");
  ASSIGN_OR_RETURN(Session session, FindByState(*state));
  ASSIGN_OR_RETURN(bool consumed, Consume(session));
  if (!consumed) return InvalidArgument("unknown or used state");

  // The browser learns only `code`; the audit log and the log also `reason`.
  auto fail = [&](const std::string& code, const std::string& reason = "") -> std::string {
    AuditFailure(session, code, reason.empty() ? code : reason, ctx);
    return AppendQuery(session.redirect_uri, {{"status", "error"}, {"error", code}});
  };
  if (session.delivery != CodeDelivery::kRedirect) return fail("invalid_request");
  if (session.expires_at <= ToUnix(clock_.Now())) return fail("session_expired");
  if (auto error = Field(query, "error")) return fail(SafeErrorCode(*error));
  const OAuthProvider* provider = providers_.Find(session.provider);
  if (!provider) return fail("server_error");
  if (auto iss = Field(query, "iss")) {
    // RFC 9207 §2.4: compare exactly with the issuer we expect. An `iss`
    // we have no expectation for cannot be verified, so it fails too.
    auto client = clients_.PublicPart(session.account_id, *provider);
    if (!client.ok()) return fail("server_error");
    auto expected = provider->Issuer(client->tenant);
    if (!expected || *expected != *iss) return fail("issuer_mismatch");
  }
  auto code = Field(query, "code");
  // RFC 6749 §A.11: a code is VSCHAR (%x20-7E).
  auto visible = [](unsigned char c) { return c >= 0x20 && c <= 0x7e; };
  if (!code || code->empty() || code->size() > 4096 ||
      !std::all_of(code->begin(), code->end(), visible)) {
    return fail("invalid_request");
  }
  auto result = Redeem(session, *provider, *code, public_url + "/auth/callback", ctx);
  if (!result.ok()) {
    return fail("token_exchange_failed", ExchangeFailureReason(result.status()));
  }
  FormFields params = {{"status", "success"}, {"tokenId", result->token_ids[0]}};
  if (result->token_ids.size() > 1) params.emplace_back("userTokenId", result->token_ids[1]);
  return AppendQuery(session.redirect_uri, params);
}

Result<ExchangeResult> OAuthFlows::Exchange(const std::string& account_id, const std::string& code,
                                            const std::string& provider_id,
                                            const std::string& redirect_uri,
                                            const std::string& state, const AuditContext& ctx) {
  if (code.empty() || code.size() > 4096) return InvalidArgument("code must be 1-4096 characters");
  ASSIGN_OR_RETURN(Session session, FindByState(state));
  if (session.account_id != account_id) return InvalidArgument("unknown or used state");
  if (session.completed) return InvalidArgument("unknown or used state");
  if (session.provider != provider_id) {
    return InvalidArgument("the state belongs to another provider's session");
  }
  if (session.delivery != CodeDelivery::kExchange) {
    return InvalidArgument("the state belongs to a session that completes at /auth/callback");
  }
  if (session.redirect_uri != redirect_uri) {
    return InvalidArgument("redirectUri differs from the session's");
  }
  if (session.expires_at <= ToUnix(clock_.Now())) {
    return InvalidArgument("the authorization session has expired; start a new one");
  }
  const OAuthProvider* provider = providers_.Find(provider_id);
  if (!provider) return NotFound("no OAuth provider named '" + provider_id + "'");
  ASSIGN_OR_RETURN(bool consumed, Consume(session));
  if (!consumed) return InvalidArgument("unknown or used state");
  auto result = Redeem(session, *provider, code, session.redirect_uri, ctx);
  if (!result.ok()) {
    AuditFailure(session, "token_exchange_failed", ExchangeFailureReason(result.status()), ctx);
    StatusCode c = result.status().code();
    if (c == StatusCode::kNeedsReauth || c == StatusCode::kFailedPrecondition) {
      // The provider refused this code (used, expired, wrong verifier).
      return InvalidArgument(result.status().message());
    }
  }
  return result;
}

Result<int64_t> OAuthFlows::PurgeExpiredSessions() {
  // Kept a day past expiry: until then a late callback still sends the
  // browser back to the app with session_expired instead of stopping at
  // an unknown state.
  return OAuthFlowStore::PurgeExpiredBefore(db_, ToUnix(clock_.Now()) - 24 * 3600);
}

}  // namespace latchkey
