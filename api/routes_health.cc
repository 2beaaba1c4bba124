// Health checks on demand: test a provider key, a secret or an OAuth
// connection now, and give a secret its check.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/responses.h"
#include "api/schemas/health.h"
#include "services/accounts/scopes.h"
#include "services/credentials/providers.h"

namespace latchkey {
namespace {

Result<HttpResponse> TestProviderKey(const HealthRouteDeps& d, RequestContext& ctx) {
  const std::string& id = ctx.param("provider");
  if (!FindProvider(id)) return NotFound("no provider " + id);
  ASSIGN_OR_RETURN(CredentialsSummary summary, d.credentials.Summary(ctx.account_id()));
  bool stored = false;
  for (const auto& p : summary.providers) stored |= p.provider->id == id && p.has_key;
  if (!stored) return NotFound("no " + id + " key is stored");
  ASSIGN_OR_RETURN(Health h, d.health.TestNow(ctx.account_id(), "provider", id, id, ctx.audit));
  return JsonResponse(200, ToJson(h));
}

Result<HttpResponse> TestSecret(const HealthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(SecretInfo info, d.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
  ASSIGN_OR_RETURN(Health h,
                   d.health.TestNow(ctx.account_id(), "secret", info.name, "", ctx.audit));
  return JsonResponse(200, ToJson(h));
}

Result<HttpResponse> PutSecretCheck(const HealthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(SecretInfo info, d.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"url", "expectStatus"}));
  ASSIGN_OR_RETURN(std::string url, body.RequiredString("url"));
  ASSIGN_OR_RETURN(auto expect, body.OptionalInt("expectStatus", 100, 599));
  RETURN_IF_ERROR(d.health.SetSecretCheck(ctx.account_id(), info.name, url,
                                          static_cast<int>(expect.value_or(0)), ctx.audit));
  return JsonResponse(
      200, {{"name", info.name},
            {"url", url},
            {"expectStatus", expect ? nlohmann::json(*expect) : nlohmann::json(nullptr)}});
}

Result<HttpResponse> TestOAuthToken(const HealthRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(OAuthTokenInfo t, d.tokens.Get(ctx.account_id(), ctx.param("id")));
  ASSIGN_OR_RETURN(Health h, d.health.TestNow(ctx.account_id(), "oauth", "oauth:" + t.id,
                                              t.provider, ctx.audit));
  return JsonResponse(200, ToJson(h));
}

const RouteRow<HealthRouteDeps> kHealthRoutes[] = {
    {{"POST", "/credentials/{provider}/test", AuthKind::kApiKey, scopes::kCredentialsWrite,
      kBlocking, TestProviderKey},
     {"Test a stored provider key now (a cheap authenticated GET through the proxy)", "health", "",
      schemas::kCredentialHealth}},
    {{"POST", "/secrets/{name}/test", AuthKind::kApiKey, scopes::kCredentialsWrite, kBlocking,
      TestSecret},
     {"Test a secret now with its health check", "health", "", schemas::kCredentialHealth}},
    {{"PUT", "/secrets/{name}/health-check", AuthKind::kApiKey, scopes::kCredentialsWrite,
      kBlocking, PutSecretCheck},
     {"Give a secret a health check: a GET through the proxy and the status that means healthy",
      "health", schemas::kSecretHealthCheckRequest, schemas::kSecretHealthCheck}},
    {{"POST", "/oauth-tokens/{id}/test", AuthKind::kApiKey, scopes::kOauthWrite, kBlocking,
      TestOAuthToken},
     {"Test an OAuth connection now (the provider's profile endpoint)", "health", "",
      schemas::kCredentialHealth}},
};

}  // namespace

void AddHealthRoutes(Router& router, const HealthRouteDeps& deps) {
  AddRoutes(router, deps, kHealthRoutes);
}

}  // namespace latchkey
