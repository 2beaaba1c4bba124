// OAuth: provider registrations (/oauth/providers), the redirect-URI allow
// list, authorization sessions and the browser legs (/auth/...), and the
// stored tokens (/oauth-tokens). No route returns a refresh token or a
// client secret; access tokens only from /oauth-tokens/{id}/access-token.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/params.h"
#include "api/responses.h"
#include "api/schemas/oauth.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

json ProviderJson(const OAuthClientInfo& c) {
  const OAuthProvider& p = *c.provider;
  json out = {{"provider", p.id},
              {"type", p.type},
              {"configured", c.configured},
              {"clientId", c.configured ? json(c.client_id) : json(nullptr)},
              {"hasClientSecret", c.secret_last4.has_value() || c.configured},
              {"clientSecretLast4", c.secret_last4 ? json(*c.secret_last4) : json(nullptr)},
              {"scopes", c.scopes},
              {"pkce", p.pkce},
              {"revocation", p.revocation_url.has_value()},
              {"apiHosts", p.api_hosts},
              {"apiBaseUrl", p.api_base_url.empty() ? json(nullptr) : json(p.api_base_url)},
              {"updatedAt", OptionalTimeJson(c.updated_at)}};
  if (p.uses_tenant) out["tenant"] = c.tenant.value_or("common");
  return out;
}

Result<std::optional<std::vector<std::string>>> OptionalStrings(const JsonBody& body,
                                                                const std::string& field) {
  if (!body.Has(field) || body.json()[field].is_null()) {
    return std::optional<std::vector<std::string>>();
  }
  ASSIGN_OR_RETURN(auto list, body.RequiredStringArray(field));
  return std::optional<std::vector<std::string>>(std::move(list));
}

Result<HttpResponse> PutProvider(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"clientId", "clientSecret",
                                                                     "scopes", "tenant"}));
  OAuthClientWrite write;
  ASSIGN_OR_RETURN(write.client_id, body.RequiredString("clientId"));
  ASSIGN_OR_RETURN(write.client_secret, body.RequiredString("clientSecret"));
  ASSIGN_OR_RETURN(write.scopes, OptionalStrings(body, "scopes"));
  ASSIGN_OR_RETURN(write.tenant, body.OptionalString("tenant"));
  ASSIGN_OR_RETURN(OAuthClientInfo info,
                   d.clients.Put(ctx.account_id(), ctx.param("provider"), write, ctx.audit));
  return JsonResponse(200, ProviderJson(info));
}

Result<HttpResponse> GetProvider(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto list, d.clients.List(ctx.account_id()));
  const std::string& id = ctx.param("provider");
  for (const auto& c : list) {
    if (c.provider->id == id) return JsonResponse(200, ProviderJson(c));
  }
  return NotFound("no OAuth provider '" + id + "' (GET /oauth/providers lists them)");
}

Result<HttpResponse> ListProviders(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto list, d.clients.List(ctx.account_id()));
  // By provider name: the list is the five built-in providers and any a
  // providers file adds, not something that grows.
  auto key = [](const OAuthClientInfo& c) { return PageKey{0, c.provider->id}; };
  std::optional<PageKey> next;
  json data = json::array();
  for (const auto& c : Paginate(std::move(list), page, key, ByIdAscending, &next)) {
    data.push_back(ProviderJson(c));
  }
  return JsonResponse(200, ListBody(page, std::move(data), next));
}

Result<HttpResponse> PutRedirectUris(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"redirectUris"}));
  ASSIGN_OR_RETURN(auto uris, body.RequiredStringArray("redirectUris"));
  ASSIGN_OR_RETURN(auto saved, d.clients.SetRedirectUris(ctx.account_id(), uris, ctx.audit));
  return JsonResponse(200, {{"redirectUris", saved}});
}

Result<HttpResponse> GetRedirectUris(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto uris, d.clients.RedirectUris(ctx.account_id()));
  return JsonResponse(200, {{"redirectUris", uris}});
}

Result<SessionRequest> ParseSessionRequest(const std::string& text) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(text, {"provider", "identifierId", "redirectUri",
                                                         "scopes", "userScopes", "delivery"}));
  SessionRequest req;
  ASSIGN_OR_RETURN(req.provider, body.RequiredString("provider"));
  ASSIGN_OR_RETURN(req.identifier_id, body.RequiredString("identifierId"));
  ASSIGN_OR_RETURN(req.redirect_uri, body.RequiredString("redirectUri"));
  ASSIGN_OR_RETURN(req.scopes, OptionalStrings(body, "scopes"));
  ASSIGN_OR_RETURN(req.user_scopes, OptionalStrings(body, "userScopes"));
  ASSIGN_OR_RETURN(auto delivery, body.OptionalString("delivery"));
  if (delivery && *delivery == "exchange") {
    req.delivery = CodeDelivery::kExchange;
  } else if (delivery && *delivery != "redirect") {
    return InvalidArgument("delivery must be \"redirect\" or \"exchange\"");
  }
  return req;
}

Result<HttpResponse> CreateSession(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(SessionRequest req, ParseSessionRequest(ctx.request.body));
  ASSIGN_OR_RETURN(CreatedSession session,
                   d.flows.CreateSession(ctx.account_id(), req, d.options.public_url, ctx.audit));
  return JsonResponse(201, {{"sessionId", session.id},
                            {"url", session.url},
                            {"expiresAt", FormatIso8601(session.expires_at)}});
}

Result<HttpResponse> ProviderCallback(const OAuthRouteDeps& d, RequestContext& ctx) {
  ctx.audit.actor = "browser";
  ASSIGN_OR_RETURN(std::string location,
                   d.flows.Callback(ctx.request.query, d.options.public_url, ctx.audit));
  return RedirectResponse(location);
}

Result<HttpResponse> OpenAuthorization(const OAuthRouteDeps& d, RequestContext& ctx) {
  auto session = ctx.request.Query("session");
  if (!session) return InvalidArgument("session is required");
  ASSIGN_OR_RETURN(std::string location,
                   d.flows.Authorize(ctx.param("provider"), *session, d.options.public_url));
  return RedirectResponse(location);
}

Result<HttpResponse> ExchangeCode(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(ctx.request.body, {"code", "provider", "redirectUri", "state"}));
  ASSIGN_OR_RETURN(std::string code, body.RequiredString("code"));
  ASSIGN_OR_RETURN(std::string provider, body.RequiredString("provider"));
  ASSIGN_OR_RETURN(std::string redirect_uri, body.RequiredString("redirectUri"));
  ASSIGN_OR_RETURN(std::string state, body.RequiredString("state"));
  ASSIGN_OR_RETURN(ExchangeResult r, d.flows.Exchange(ctx.account_id(), code, provider,
                                                      redirect_uri, state, ctx.audit));
  json out = {{"success", true},
              {"provider", r.provider},
              {"scopes", r.scopes},
              {"expiresAt", OptionalTimeJson(r.expires_at)},
              {"tokenId", r.token_ids[0]}};
  if (r.token_ids.size() > 1) out["userTokenId"] = r.token_ids[1];
  return JsonResponse(200, out);
}

// A connection with its health: the last test's, unless access without the
// user (see UsableUntil) has ended (unhealthy) or ends within 7 days
// (expiring_soon, when the last test passed or none ran).
json TokenJson(const OAuthRouteDeps& d, const std::map<std::string, Health>& health,
               const OAuthTokenInfo& t) {
  json out = ToJson(t);
  auto found = health.find("oauth:" + t.id);
  Health h = found == health.end() ? Health{} : found->second;
  TimePoint now = d.clock.Now();
  if (t.usable_until && *t.usable_until <= now) {
    h.status = HealthStatus::kUnhealthy;
    h.last_error = "the grant has expired; the user must connect again";
  } else if (h.status != HealthStatus::kUnhealthy && t.usable_until &&
             *t.usable_until - now <= std::chrono::hours(24 * 7)) {
    h.status = HealthStatus::kExpiringSoon;
  }
  out["health"] = ToJson(h);
  return out;
}

Result<HttpResponse> ListOAuthTokens(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  TokenFilter filter{ctx.request.Query("identifierId"), ctx.request.Query("resource"),
                     page.limit + 1};
  if (page.after) filter.before = TokenFilter::Position{page.after->time, page.after->id};
  ASSIGN_OR_RETURN(auto list, d.tokens.List(ctx.account_id(), filter));
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  std::optional<PageKey> next;
  if (list.size() > static_cast<size_t>(page.limit)) {
    list.resize(page.limit);
    next = PageKey{ToUnix(list.back().created_at), list.back().id};
  }
  json data = json::array();
  for (const auto& t : list) data.push_back(TokenJson(d, health, t));
  return JsonResponse(200, ListBody(page, std::move(data), next));
}

Result<HttpResponse> GetOAuthToken(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(OAuthTokenInfo t, d.tokens.Get(ctx.account_id(), ctx.param("id")));
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  return JsonResponse(200, TokenJson(d, health, t));
}

// The token id of /connections/{provider}/{identifierId}[?kind=bot|user].
Result<std::string> ConnectionId(const OAuthRouteDeps& d, RequestContext& ctx) {
  auto kind = ctx.request.Query("kind");
  if (kind && *kind != "bot" && *kind != "user") {
    return InvalidArgument("kind must be bot or user (Slack's two tokens)");
  }
  return d.tokens.ConnectionId(ctx.account_id(), ctx.param("provider"), ctx.param("identifierId"),
                               kind);
}

Result<HttpResponse> GetConnection(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(std::string id, ConnectionId(d, ctx));
  ASSIGN_OR_RETURN(OAuthTokenInfo t, d.tokens.Get(ctx.account_id(), id));
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  return JsonResponse(200, TokenJson(d, health, t));
}

Result<HttpResponse> AccessTokenResponse(const AccessToken& t) {
  json out = {{"accessToken", t.access_token},
              {"tokenType", t.token_type},
              {"expiresAt", OptionalTimeJson(t.expires_at)}};
  HttpResponse r = JsonResponse(200, out);
  WipeJsonStrings(out);
  return r;
}

Result<HttpResponse> ConnectionAccessToken(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(std::string id, ConnectionId(d, ctx));
  ASSIGN_OR_RETURN(AccessToken t, d.tokens.Access(ctx.account_id(), id, &ctx.audit));
  return AccessTokenResponse(t);
}

Result<HttpResponse> FreshAccessToken(const OAuthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(AccessToken t, d.tokens.Access(ctx.account_id(), ctx.param("id"), &ctx.audit));
  return AccessTokenResponse(t);
}

Result<HttpResponse> DeleteOAuthToken(const OAuthRouteDeps& d, RequestContext& ctx) {
  auto revoke = ctx.request.Query("revoke");
  if (revoke && *revoke != "true" && *revoke != "false") {
    return InvalidArgument("revoke must be true or false");
  }
  ASSIGN_OR_RETURN(std::string revocation,
                   d.tokens.Delete(ctx.account_id(), ctx.param("id"),
                                   revoke.value_or("true") == "true", ctx.audit));
  return JsonResponse(200,
                      {{"id", ctx.param("id")}, {"deleted", true}, {"revocation", revocation}});
}

constexpr const char* kRead = scopes::kOauthRead;
constexpr const char* kWrite = scopes::kOauthWrite;

const RouteRow<OAuthRouteDeps> kOAuthRoutes[] = {
    // Provider registrations and the redirect-URI allow list.
    {{"PUT", "/oauth/providers/{provider}", AuthKind::kApiKey, kWrite, kBlocking, PutProvider},
     {"Register the account's OAuth app with a provider (client secret write-only)",
      "oauth",
      schemas::kPutOAuthProviderRequest,
      schemas::kOAuthProvider,
      200,
      {},
      kConditional}},
    {{"GET", "/oauth/providers/{provider}", AuthKind::kApiKey, kRead, kBlocking, GetProvider},
     {"One OAuth provider and the account's registration (secret masked)",
      "oauth",
      "",
      schemas::kOAuthProvider,
      200,
      {},
      kConditional}},
    {{"GET", "/oauth/providers", AuthKind::kApiKey, kRead, kBlocking, ListProviders},
     {"Every OAuth provider and the account's registration (secrets masked)", "oauth", "",
      schemas::kOAuthProviderList}},
    {{"PUT", "/oauth/redirect-uris", AuthKind::kApiKey, kWrite, kBlocking, PutRedirectUris},
     {"Replace the redirect URIs sessions may return to (compared exactly)",
      "oauth",
      schemas::kRedirectUris,
      schemas::kRedirectUris,
      200,
      {},
      kConditional}},
    {{"GET", "/oauth/redirect-uris", AuthKind::kApiKey, kRead, kBlocking, GetRedirectUris},
     {"The redirect URIs sessions may return to",
      "oauth",
      "",
      schemas::kRedirectUris,
      200,
      {},
      kConditional}},
    // Authorization sessions and the browser legs.
    {{"POST", "/auth/sessions", AuthKind::kApiKey, kWrite, kBlocking, CreateSession},
     {"Start an authorization: a single-use link (10 minutes) to send the user's browser to",
      "oauth", schemas::kCreateSessionRequest, schemas::kCreatedSession, 201}},
    {{"GET", "/auth/callback", AuthKind::kPublic, "", kBlocking, ProviderCallback},
     {"The provider's redirect back: 302 to the session's redirectUri with"
      " status=success&tokenId=... or status=error&error=CODE",
      "oauth",
      "",
      schemas::kRedirect,
      302,
      {"code", "state", "iss", "error"}}},
    {{"GET", "/auth/{provider}", AuthKind::kPublic, "", kBlocking, OpenAuthorization},
     {"Open an authorization link: 302 to the provider with state and PKCE",
      "oauth",
      "",
      schemas::kRedirect,
      302,
      {"session"}}},
    {{"POST", "/auth/exchange", AuthKind::kApiKey, kWrite, kBlocking, ExchangeCode},
     {"Exchange a code the provider sent to the app's own redirect URI (sessions created with"
      " delivery \"exchange\")",
      "oauth", schemas::kExchangeCodeRequest, schemas::kExchangedCode}},
    // Stored tokens.
    {{"GET", "/oauth-tokens", AuthKind::kApiKey, kRead, kBlocking, ListOAuthTokens},
     {"Stored OAuth tokens (metadata only, never a token value)",
      "oauth",
      "",
      schemas::kOAuthTokenList,
      200,
      {"identifierId", "resource", "limit"}}},
    {{"GET", "/oauth-tokens/{id}", AuthKind::kApiKey, kRead, kBlocking, GetOAuthToken},
     {"One stored OAuth token (metadata only)", "oauth", "", schemas::kOAuthToken}},
    {{"GET", "/oauth-tokens/{id}/access-token", AuthKind::kApiKey, scopes::kOauthToken, kBlocking,
      FreshAccessToken},
     {"A fresh access token (refreshed first when inside the refresh margin); 409"
      " NEEDS_REAUTH when the user must authorize again",
      "oauth", "", schemas::kAccessToken}},
    // The same tokens found by who they belong to.
    {{"GET", "/connections/{provider}/{identifierId}", AuthKind::kApiKey, kRead, kBlocking,
      GetConnection},
     {"The connection of one identifierId with a provider: the stored OAuth token a new"
      " authorization of the same pair replaces (Slack: ?kind=bot|user, the bot token first)",
      "oauth",
      "",
      schemas::kOAuthToken,
      200,
      {"kind"}}},
    {{"GET", "/connections/{provider}/{identifierId}/access-token", AuthKind::kApiKey,
      scopes::kOauthToken, kBlocking, ConnectionAccessToken},
     {"A fresh access token for the connection of one identifierId with a provider (as"
      " /oauth-tokens/{id}/access-token)",
      "oauth",
      "",
      schemas::kAccessToken,
      200,
      {"kind"}}},
    {{"DELETE", "/oauth-tokens/{id}", AuthKind::kApiKey, kWrite, kBlocking, DeleteOAuthToken},
     {"Revoke at the provider (where it has a revocation endpoint; ?revoke=false skips"
      " it), then delete",
      "oauth",
      "",
      schemas::kDeletedOAuthToken,
      200,
      {"revoke"}}},
};

}  // namespace

void AddOAuthRoutes(Router& router, const OAuthRouteDeps& deps) {
  AddRoutes(router, deps, kOAuthRoutes);
}

}  // namespace latchkey
