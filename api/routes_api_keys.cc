// API keys of the calling account.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/responses.h"
#include "api/schemas/api_keys.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

// A key restricted to a credential that does not exist is refused (a typo
// would lock the agent out), unless `allowMissing` says it comes later.
Status CredentialMustExist(const ApiKeyRouteDeps& d, const std::string& account_id,
                           const std::string& name) {
  Status found = d.proxy.CredentialExists(account_id, name);
  if (found.code() != StatusCode::kNotFound) return found;
  return InvalidArgument("credentials: the account has no credential '" + name.substr(0, 64) +
                         "' (a provider id with a key, a secret name, or oauth:otk_…); set"
                         " \"allowMissing\": true to restrict the key to it before it exists");
}

Result<NewApiKey> ParseNewApiKey(const std::string& text, bool* allow_missing) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(text, {"name", "scopes", "expiresAt",
                                                         "credentials", "allowMissing"}));
  if (body.Has("allowMissing")) {
    if (!body.json()["allowMissing"].is_boolean()) {
      return InvalidArgument("allowMissing must be a boolean");
    }
    *allow_missing = body.json()["allowMissing"].get<bool>();
  }
  NewApiKey request;
  ASSIGN_OR_RETURN(request.name, body.RequiredString("name"));
  ASSIGN_OR_RETURN(request.scopes, body.RequiredStringArray("scopes"));
  ASSIGN_OR_RETURN(request.expires_at, body.OptionalTime("expiresAt"));
  if (body.Has("credentials") && !body.json()["credentials"].is_null()) {
    ASSIGN_OR_RETURN(request.credentials, body.RequiredStringArray("credentials"));
  }
  return request;
}

Result<HttpResponse> CreateApiKey(const ApiKeyRouteDeps& d, RequestContext& ctx) {
  bool allow_missing = false;
  ASSIGN_OR_RETURN(NewApiKey request, ParseNewApiKey(ctx.request.body, &allow_missing));
  std::function<Status(const std::string&)> check;
  if (!allow_missing) {
    check = [&](const std::string& name) { return CredentialMustExist(d, ctx.account_id(), name); };
  }
  ASSIGN_OR_RETURN(CreatedApiKey created,
                   d.api_keys.CreateFor(*ctx.principal, request, ctx.audit, check));
  nlohmann::json out = ToJson(created.key);
  out["apiKey"] = created.token;
  return JsonResponse(201, out);
}

Result<HttpResponse> ListApiKeys(const ApiKeyRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto keys, d.api_keys.List(ctx.account_id()));
  std::optional<PageKey> next;
  auto key = [](const ApiKey& k) { return PageKey{ToUnix(k.created_at), k.id}; };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : Paginate(std::move(keys), page, key, NewerFirst, &next)) {
    list.push_back(ToJson(k));
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

// Any key may read its own metadata (what `latchkey status` shows).
Result<HttpResponse> CurrentApiKey(const ApiKeyRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto keys, d.api_keys.List(ctx.account_id()));
  for (const auto& k : keys) {
    if (k.id != ctx.principal->key_id) continue;
    nlohmann::json out = ToJson(k);
    out["accountId"] = ctx.account_id();
    return JsonResponse(200, out);
  }
  return NotFound("this API key is no longer active");
}

Result<HttpResponse> RevokeApiKey(const ApiKeyRouteDeps& d, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  RETURN_IF_ERROR(d.api_keys.Revoke(ctx.account_id(), id, ctx.audit));
  return JsonResponse(200, {{"id", id}, {"revoked", true}});
}

const RouteRow<ApiKeyRouteDeps> kApiKeyRoutes[] = {
    {{"POST", "/api-keys", AuthKind::kApiKey, scopes::kApiKeysWrite, kBlocking, CreateApiKey},
     {"Create an API key (the key is shown once)", "api-keys", schemas::kCreateApiKeyRequest,
      schemas::kCreatedApiKey, 201}},
    {{"GET", "/api-keys", AuthKind::kApiKey, scopes::kApiKeysWrite, kBlocking, ListApiKeys},
     {"List the account's active API keys (metadata only)", "api-keys", "", schemas::kApiKeyList}},
    {{"GET", "/api-keys/current", AuthKind::kApiKey, "", kBlocking, CurrentApiKey},
     {"The calling key's own metadata and account (any key)", "api-keys", "",
      schemas::kCurrentApiKey}},
    {{"DELETE", "/api-keys/{id}", AuthKind::kApiKey, scopes::kApiKeysWrite, kBlocking,
      RevokeApiKey},
     {"Revoke an API key; it stops working at once", "api-keys", "", schemas::kRevokedApiKey}},
};

}  // namespace

void AddApiKeyRoutes(Router& router, const ApiKeyRouteDeps& deps) {
  AddRoutes(router, deps, kApiKeyRoutes);
}

}  // namespace latchkey
