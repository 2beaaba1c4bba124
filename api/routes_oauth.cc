// OAuth: provider registrations (/oauth/providers), the redirect-URI allow
// list, authorization sessions and the browser legs (/auth/...), and the
// stored tokens (/oauth-tokens). No route returns a refresh token or a
// client secret; access tokens only from /oauth-tokens/{id}/access-token.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/params.h"
#include "api/responses.h"
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
              {"updatedAt", OptionalTimeJson(c.updated_at)}};
  if (p.uses_tenant) out["tenant"] = c.tenant.value_or("common");
  return out;
}

json TokenJson(const OAuthTokenInfo& t) {
  json metadata = json::parse(t.metadata_json, nullptr, false);
  if (metadata.is_discarded()) metadata = json::object();
  return {{"id", t.id},
          {"provider", t.provider},
          {"identifierId", t.identifier_id},
          {"resource", t.resource},
          {"scopes", t.scopes},
          {"status", t.status},
          {"refreshable", t.refreshable},
          {"expiresAt", OptionalTimeJson(t.expires_at)},
          {"createdAt", FormatIso8601(t.created_at)},
          {"lastRefreshedAt", OptionalTimeJson(t.last_refreshed_at)},
          {"metadata", metadata}};
}

HttpResponse Redirect(const std::string& location) {
  HttpResponse r;
  r.status = 302;
  r.content_type = "text/plain";
  r.headers.emplace_back("Location", location);
  // The URL carries a code or token id; keep it out of Referer headers.
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

Result<std::optional<std::vector<std::string>>> OptionalStrings(const JsonBody& body,
                                                                const std::string& field) {
  if (!body.Has(field) || body.json()[field].is_null()) {
    return std::optional<std::vector<std::string>>();
  }
  ASSIGN_OR_RETURN(auto list, body.RequiredStringArray(field));
  return std::optional<std::vector<std::string>>(std::move(list));
}

constexpr char kProviderSchema[] =
    R"({"type":"object","properties":{"provider":{"type":"string"},"type":{"type":"string"},"configured":{"type":"boolean"},"clientId":{"type":["string","null"]},"clientSecretLast4":{"type":["string","null"]},"scopes":{"type":"array","items":{"type":"string"}},"tenant":{"type":"string"},"pkce":{"type":"boolean"},"revocation":{"type":"boolean"},"apiHosts":{"type":"array","items":{"type":"string"}},"updatedAt":{"type":["string","null"]}}})";
constexpr char kTokenSchema[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"provider":{"type":"string"},"identifierId":{"type":"string"},"resource":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"status":{"type":"string","enum":["active","refresh_failing","needs_reauth","expired"]},"refreshable":{"type":"boolean"},"expiresAt":{"type":["string","null"]},"createdAt":{"type":"string"},"lastRefreshedAt":{"type":["string","null"]},"metadata":{"type":"object"}}})";
constexpr char kRedirectUrisSchema[] =
    R"({"type":"object","properties":{"redirectUris":{"type":"array","items":{"type":"string"}}},"required":["redirectUris"]})";

}  // namespace

void AddOAuthRoutes(Router& router, AppServices& s, const AppOptions& options) {
  router.Add(
      {"PUT",
       "/oauth/providers/{provider}",
       AuthKind::kApiKey,
       scopes::kOauthWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(
             JsonBody body,
             JsonBody::Parse(ctx.request.body, {"clientId", "clientSecret", "scopes", "tenant"}));
         OAuthClientWrite write;
         ASSIGN_OR_RETURN(write.client_id, body.RequiredString("clientId"));
         ASSIGN_OR_RETURN(write.client_secret, body.RequiredString("clientSecret"));
         ASSIGN_OR_RETURN(write.scopes, OptionalStrings(body, "scopes"));
         ASSIGN_OR_RETURN(write.tenant, body.OptionalString("tenant"));
         ASSIGN_OR_RETURN(
             OAuthClientInfo info,
             s.oauth_clients.Put(ctx.account_id(), ctx.param("provider"), write, ctx.audit));
         return JsonResponse(200, ProviderJson(info));
       },
       {"Register the account's OAuth app with a provider (client secret write-only)", "oauth",
        R"({"type":"object","properties":{"clientId":{"type":"string"},"clientSecret":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"tenant":{"type":"string"}},"required":["clientId","clientSecret"]})",
        kProviderSchema}});

  router.Add({"GET",
              "/oauth/providers",
              AuthKind::kApiKey,
              scopes::kOauthRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(auto list, s.oauth_clients.List(ctx.account_id()));
                json data = json::array();
                for (const auto& c : list) data.push_back(ProviderJson(c));
                return JsonResponse(200, {{"data", data}});
              },
              {"Every OAuth provider and the account's registration (secrets masked)", "oauth", "",
               R"({"type":"object","properties":{"data":{"type":"array"}}})"}});

  router.Add({"PUT",
              "/oauth/redirect-uris",
              AuthKind::kApiKey,
              scopes::kOauthWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(JsonBody body,
                                 JsonBody::Parse(ctx.request.body, {"redirectUris"}));
                ASSIGN_OR_RETURN(auto uris, body.RequiredStringArray("redirectUris"));
                ASSIGN_OR_RETURN(
                    auto saved, s.oauth_clients.SetRedirectUris(ctx.account_id(), uris, ctx.audit));
                return JsonResponse(200, {{"redirectUris", saved}});
              },
              {"Replace the redirect URIs sessions may return to (compared exactly)", "oauth",
               kRedirectUrisSchema, kRedirectUrisSchema}});

  router.Add({"GET",
              "/oauth/redirect-uris",
              AuthKind::kApiKey,
              scopes::kOauthRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(auto uris, s.oauth_clients.RedirectUris(ctx.account_id()));
                return JsonResponse(200, {{"redirectUris", uris}});
              },
              {"The redirect URIs sessions may return to", "oauth", "", kRedirectUrisSchema}});

  router.Add(
      {"POST",
       "/auth/sessions",
       AuthKind::kApiKey,
       scopes::kOauthWrite,
       [&s, &options](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body,
                                                         {"provider", "identifierId", "redirectUri",
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
         ASSIGN_OR_RETURN(
             CreatedSession session,
             s.oauth_flows.CreateSession(ctx.account_id(), req, options.public_url, ctx.audit));
         return JsonResponse(201, {{"sessionId", session.id},
                                   {"url", session.url},
                                   {"expiresAt", FormatIso8601(session.expires_at)}});
       },
       {"Start an authorization: a single-use link (10 minutes) to send the user's browser to",
        "oauth",
        R"({"type":"object","properties":{"provider":{"type":"string"},"identifierId":{"type":"string"},"redirectUri":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"userScopes":{"type":"array","items":{"type":"string"}},"delivery":{"type":"string","enum":["redirect","exchange"]}},"required":["provider","identifierId","redirectUri"]})",
        R"({"type":"object","properties":{"sessionId":{"type":"string"},"url":{"type":"string"},"expiresAt":{"type":"string"}}})",
        201}});

  router.Add({"GET",
              "/auth/callback",
              AuthKind::kPublic,
              "",
              [&s, &options](RequestContext& ctx) -> Result<HttpResponse> {
                ctx.audit.actor = "browser";
                ASSIGN_OR_RETURN(
                    std::string location,
                    s.oauth_flows.Callback(ctx.request.query, options.public_url, ctx.audit));
                return Redirect(location);
              },
              {"The provider's redirect back: 302 to the session's redirectUri with"
               " status=success&tokenId=... or status=error&error=CODE",
               "oauth",
               "",
               R"({"description":"302 redirect"})",
               302,
               {"code", "state", "iss", "error"}}});

  router.Add({"GET",
              "/auth/{provider}",
              AuthKind::kPublic,
              "",
              [&s, &options](RequestContext& ctx) -> Result<HttpResponse> {
                auto session = ctx.request.Query("session");
                if (!session) return InvalidArgument("session is required");
                ASSIGN_OR_RETURN(
                    std::string location,
                    s.oauth_flows.Authorize(ctx.param("provider"), *session, options.public_url));
                return Redirect(location);
              },
              {"Open an authorization link: 302 to the provider with state and PKCE",
               "oauth",
               "",
               R"({"description":"302 redirect"})",
               302,
               {"session"}}});

  router.Add(
      {"POST",
       "/auth/exchange",
       AuthKind::kApiKey,
       scopes::kOauthWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(
             JsonBody body,
             JsonBody::Parse(ctx.request.body, {"code", "provider", "redirectUri", "state"}));
         ASSIGN_OR_RETURN(std::string code, body.RequiredString("code"));
         ASSIGN_OR_RETURN(std::string provider, body.RequiredString("provider"));
         ASSIGN_OR_RETURN(std::string redirect_uri, body.RequiredString("redirectUri"));
         ASSIGN_OR_RETURN(std::string state, body.RequiredString("state"));
         ASSIGN_OR_RETURN(ExchangeResult r, s.oauth_flows.Exchange(ctx.account_id(), code, provider,
                                                                   redirect_uri, state, ctx.audit));
         json out = {{"success", true},
                     {"provider", r.provider},
                     {"scopes", r.scopes},
                     {"expiresAt", OptionalTimeJson(r.expires_at)},
                     {"tokenId", r.token_ids[0]}};
         if (r.token_ids.size() > 1) out["userTokenId"] = r.token_ids[1];
         return JsonResponse(200, out);
       },
       {"Exchange a code the provider sent to the app's own redirect URI (sessions created with"
        " delivery \"exchange\")",
        "oauth",
        R"({"type":"object","properties":{"code":{"type":"string"},"provider":{"type":"string"},"redirectUri":{"type":"string"},"state":{"type":"string"}},"required":["code","provider","redirectUri","state"]})",
        R"({"type":"object","properties":{"success":{"type":"boolean"},"provider":{"type":"string"},"scopes":{"type":"array"},"expiresAt":{"type":["string","null"]},"tokenId":{"type":"string"},"userTokenId":{"type":"string"}}})"}});

  router.Add({"GET",
              "/oauth-tokens",
              AuthKind::kApiKey,
              scopes::kOauthRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(auto limit, QueryInt(ctx.request, "limit", 1, 1000));
                ASSIGN_OR_RETURN(auto list, s.oauth_tokens.List(
                                                ctx.account_id(), ctx.request.Query("identifierId"),
                                                ctx.request.Query("resource"),
                                                static_cast<int>(limit.value_or(100))));
                json data = json::array();
                for (const auto& t : list) data.push_back(TokenJson(t));
                return JsonResponse(200, {{"data", data}});
              },
              {"Stored OAuth tokens (metadata only, never a token value)",
               "oauth",
               "",
               R"({"type":"object","properties":{"data":{"type":"array"}}})",
               200,
               {"identifierId", "resource", "limit"}}});

  router.Add({"GET",
              "/oauth-tokens/{id}",
              AuthKind::kApiKey,
              scopes::kOauthRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(OAuthTokenInfo t,
                                 s.oauth_tokens.Get(ctx.account_id(), ctx.param("id")));
                return JsonResponse(200, TokenJson(t));
              },
              {"One stored OAuth token (metadata only)", "oauth", "", kTokenSchema}});

  router.Add(
      {"GET",
       "/oauth-tokens/{id}/access-token",
       AuthKind::kApiKey,
       scopes::kOauthToken,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(AccessToken t,
                          s.oauth_tokens.Access(ctx.account_id(), ctx.param("id"), &ctx.audit));
         json out = {{"accessToken", t.access_token},
                     {"tokenType", t.token_type},
                     {"expiresAt", OptionalTimeJson(t.expires_at)}};
         HttpResponse r = JsonResponse(200, out);
         WipeJsonStrings(out);
         return r;
       },
       {"A fresh access token (refreshed first when inside the refresh margin); 409"
        " NEEDS_REAUTH when the user must authorize again",
        "oauth", "",
        R"({"type":"object","properties":{"accessToken":{"type":"string"},"tokenType":{"type":"string"},"expiresAt":{"type":["string","null"]}}})"}});

  router.Add(
      {"DELETE",
       "/oauth-tokens/{id}",
       AuthKind::kApiKey,
       scopes::kOauthWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         auto revoke = ctx.request.Query("revoke");
         if (revoke && *revoke != "true" && *revoke != "false") {
           return InvalidArgument("revoke must be true or false");
         }
         RETURN_IF_ERROR(s.oauth_tokens.Delete(ctx.account_id(), ctx.param("id"),
                                               revoke.value_or("true") == "true", ctx.audit));
         return JsonResponse(200, {{"id", ctx.param("id")}, {"deleted", true}});
       },
       {"Revoke at the provider (where it has a revocation endpoint; ?revoke=false skips"
        " it), then delete",
        "oauth",
        "",
        R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})",
        200,
        {"revoke"}}});
}

}  // namespace latchkey
