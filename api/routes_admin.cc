// Operator routes: accounts and the key pool. Admin key only.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/responses.h"
#include "api/schemas/admin.h"

namespace latchkey {
namespace {

Result<HttpResponse> CreateAccount(const AdminRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"name"}));
  ASSIGN_OR_RETURN(std::string name, body.RequiredString("name"));
  ASSIGN_OR_RETURN(CreatedAccount created, d.accounts.Create(name, ctx.audit));
  nlohmann::json out = ToJson(created.account);
  out["apiKey"] = created.first_key.token;
  out["apiKeyId"] = created.first_key.key.id;
  return JsonResponse(201, out);
}

Result<HttpResponse> ListAccounts(const AdminRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto accounts, d.accounts.List());
  std::optional<PageKey> next;
  auto key = [](const Account& a) { return PageKey{ToUnix(a.created_at), a.id}; };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : Paginate(std::move(accounts), page, key, NewerFirst, &next)) {
    list.push_back(ToJson(a));
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> DeleteAccount(const AdminRouteDeps& d, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  RETURN_IF_ERROR(d.accounts.Delete(id, ctx.audit));
  return JsonResponse(200, {{"id", id}, {"deleted", true}});
}

Result<HttpResponse> KeyPoolState(const AdminRouteDeps& d, RequestContext&) {
  KeyPoolStats stats = d.key_pool.stats();
  return JsonResponse(200, {{"ready", stats.ready},
                            {"target", stats.target},
                            {"hits", stats.hits},
                            {"misses", stats.misses}});
}

const RouteRow<AdminRouteDeps> kAdminRoutes[] = {
    {{"POST", "/admin/accounts", AuthKind::kAdmin, "", kBlocking, CreateAccount},
     {"Create an account and its first API key (all scopes; shown once)", "admin",
      schemas::kCreateAccountRequest, schemas::kCreatedAccount, 201}},
    {{"GET", "/admin/accounts", AuthKind::kAdmin, "", kBlocking, ListAccounts},
     {"List accounts", "admin", "", schemas::kAccountList}},
    {{"DELETE", "/admin/accounts/{id}", AuthKind::kAdmin, "", kBlocking, DeleteAccount},
     {"Delete an account and all of its data", "admin", "", schemas::kDeletedAccount}},
    {{"GET", "/admin/key-pool", AuthKind::kAdmin, "", kBlocking, KeyPoolState},
     {"State of the pre-generated RSA-2048 key pool", "admin", "", schemas::kKeyPoolStats}},
};

}  // namespace

void AddAdminRoutes(Router& router, const AdminRouteDeps& deps) {
  AddRoutes(router, deps, kAdminRoutes);
}

}  // namespace latchkey
