// Operator routes: accounts, and the system audit chain. Admin key only.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/responses.h"

namespace latchkey {

void AddAdminRoutes(Router& router, AppServices& s) {
  router.Add({"POST",
              "/admin/accounts",
              AuthKind::kAdmin,
              "",
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"name"}));
                ASSIGN_OR_RETURN(std::string name, body.RequiredString("name"));
                ASSIGN_OR_RETURN(CreatedAccount created, s.accounts.Create(name, ctx.audit));
                nlohmann::json out = ToJson(created.account);
                out["apiKey"] = created.first_key.token;
                out["apiKeyId"] = created.first_key.key.id;
                return JsonResponse(201, out);
              },
              {"Create an account and its first API key (all scopes; shown once)", "admin",
               R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"}}})",
               R"({"$ref":"#/components/schemas/CreatedAccount"})", 201}});

  router.Add(
      {"GET",
       "/admin/accounts",
       AuthKind::kAdmin,
       "",
       [&s](RequestContext&) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(auto accounts, s.accounts.List());
         nlohmann::json list = nlohmann::json::array();
         for (const auto& a : accounts) list.push_back(ToJson(a));
         return JsonResponse(200, {{"accounts", list}});
       },
       {"List accounts", "admin", "",
        R"({"type":"object","properties":{"accounts":{"type":"array","items":{"$ref":"#/components/schemas/Account"}}}})"}});

  router.Add(
      {"DELETE",
       "/admin/accounts/{id}",
       AuthKind::kAdmin,
       "",
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         const std::string& id = ctx.param("id");
         RETURN_IF_ERROR(s.accounts.Delete(id, ctx.audit));
         return JsonResponse(200, {{"id", id}, {"deleted", true}});
       },
       {"Delete an account and all of its data", "admin", "",
        R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})"}});

  router.Add(
      {"GET",
       "/admin/key-pool",
       AuthKind::kAdmin,
       "",
       [&s](RequestContext&) -> Result<HttpResponse> {
         KeyPoolStats stats = s.key_pool.stats();
         return JsonResponse(200, {{"ready", stats.ready},
                                   {"target", stats.target},
                                   {"hits", stats.hits},
                                   {"misses", stats.misses}});
       },
       {"State of the pre-generated RSA-2048 key pool", "admin", "",
        R"({"type":"object","properties":{"ready":{"type":"integer"},"target":{"type":"integer"},"hits":{"type":"integer"},"misses":{"type":"integer"}}})"}});
}

}  // namespace latchkey
