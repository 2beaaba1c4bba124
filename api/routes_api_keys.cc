// API keys of the calling account.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/responses.h"
#include "services/accounts/scopes.h"

namespace latchkey {

void AddApiKeyRoutes(Router& router, AppServices& s) {
  router.Add(
      {"POST",
       "/api-keys",
       AuthKind::kApiKey,
       scopes::kApiKeysWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(
             JsonBody body,
             JsonBody::Parse(ctx.request.body, {"name", "scopes", "expiresAt", "credentials"}));
         NewApiKey request;
         ASSIGN_OR_RETURN(request.name, body.RequiredString("name"));
         ASSIGN_OR_RETURN(request.scopes, body.RequiredStringArray("scopes"));
         ASSIGN_OR_RETURN(request.expires_at, body.OptionalTime("expiresAt"));
         if (body.Has("credentials") && !body.json()["credentials"].is_null()) {
           ASSIGN_OR_RETURN(request.credentials, body.RequiredStringArray("credentials"));
         }
         ASSIGN_OR_RETURN(CreatedApiKey created,
                          s.api_keys.CreateFor(*ctx.principal, request, ctx.audit));
         nlohmann::json out = ToJson(created.key);
         out["apiKey"] = created.token;
         return JsonResponse(201, out);
       },
       {"Create an API key (the key is shown once)", "api-keys",
        R"({"type":"object","required":["name","scopes"],"properties":{"name":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"expiresAt":{"type":"string","format":"date-time"},"credentials":{"type":"array","items":{"type":"string"},"description":"if given, the only credentials this key may use through the proxy"}}})",
        R"({"$ref":"#/components/schemas/CreatedApiKey"})", 201}});

  router.Add(
      {"GET",
       "/api-keys",
       AuthKind::kApiKey,
       scopes::kApiKeysWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(auto keys, s.api_keys.List(ctx.account_id()));
         nlohmann::json list = nlohmann::json::array();
         for (const auto& k : keys) list.push_back(ToJson(k));
         return JsonResponse(200, {{"apiKeys", list}});
       },
       {"List the account's active API keys (metadata only)", "api-keys", "",
        R"({"type":"object","properties":{"apiKeys":{"type":"array","items":{"$ref":"#/components/schemas/ApiKey"}}}})"}});

  router.Add(
      {"DELETE",
       "/api-keys/{id}",
       AuthKind::kApiKey,
       scopes::kApiKeysWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         const std::string& id = ctx.param("id");
         RETURN_IF_ERROR(s.api_keys.Revoke(ctx.account_id(), id, ctx.audit));
         return JsonResponse(200, {{"id", id}, {"revoked", true}});
       },
       {"Revoke an API key; it stops working at once", "api-keys", "",
        R"({"type":"object","properties":{"id":{"type":"string"},"revoked":{"type":"boolean"}}})"}});
}

}  // namespace latchkey
