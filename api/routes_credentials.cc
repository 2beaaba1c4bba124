// Write-only provider keys (PUT/GET /credentials) and typed secrets
// (/secrets). No route here ever returns a stored value.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/responses.h"
#include "api/schemas/credentials.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

// {"openai": ["api.example.com"], "anthropic": null}: null restores the
// provider's default hosts.
Status ParseAllowedHosts(const json& hosts, ProviderKeysUpdate* update) {
  if (!hosts.is_object()) {
    return InvalidArgument("allowedHosts must be an object of provider id to host list");
  }
  for (auto& [id, list] : hosts.items()) {
    if (!FindProvider(id)) return InvalidArgument("allowedHosts: unknown provider '" + id + "'");
    if (list.is_null()) {
      update->hosts.emplace_back(id, std::nullopt);
      continue;
    }
    if (!list.is_array()) return InvalidArgument("allowedHosts." + id + " must be an array");
    std::vector<std::string> names;
    for (const auto& h : list) {
      if (!h.is_string()) return InvalidArgument("allowedHosts." + id + " must hold strings");
      names.push_back(h.get<std::string>());
    }
    update->hosts.emplace_back(id, std::move(names));
  }
  return Status::Ok();
}

// "baseUrls": {"openai": "https://gateway.example/openai" or null}.
Status ParseBaseUrls(const json& urls, ProviderKeysUpdate* update) {
  if (!urls.is_object()) return InvalidArgument("baseUrls must be an object of provider id to URL");
  for (auto& [id, url] : urls.items()) {
    if (!FindProvider(id)) return InvalidArgument("baseUrls: unknown provider '" + id + "'");
    if (url.is_null()) {
      update->base_urls.emplace_back(id, std::nullopt);
    } else if (url.is_string()) {
      update->base_urls.emplace_back(id, url.get<std::string>());
    } else {
      return InvalidArgument("baseUrls." + id + " must be a string or null");
    }
  }
  return Status::Ok();
}

// The body of PUT /credentials: provider key fields (null removes one),
// allowedHosts and baseUrls.
Result<ProviderKeysUpdate> ParseProviderUpdate(const std::string& text) {
  ASSIGN_OR_RETURN(json body, JsonBody::ParseObject(text));
  std::string unknown;
  ProviderKeysUpdate update;
  for (auto& [key, value] : body.items()) {
    if (key == "allowedHosts" || key == "baseUrls") continue;
    const ProviderInfo* p = FindProviderByField(key);
    if (!p) {
      unknown += (unknown.empty() ? "'" : ", '") + key.substr(0, 64) + "'";
      continue;
    }
    if (value.is_null()) {
      update.keys.emplace_back(p->id, std::nullopt);
    } else if (value.is_string()) {
      update.keys.emplace_back(p->id, value.get<std::string>());
    } else {
      return InvalidArgument(key + " must be a string or null");
    }
  }
  if (!unknown.empty()) return InvalidArgument("unknown fields: " + unknown);
  if (body.contains("allowedHosts")) {
    RETURN_IF_ERROR(ParseAllowedHosts(body["allowedHosts"], &update));
  }
  if (body.contains("baseUrls")) RETURN_IF_ERROR(ParseBaseUrls(body["baseUrls"], &update));
  if (update.keys.empty() && update.hosts.empty() && update.base_urls.empty()) {
    return InvalidArgument("name at least one provider key, e.g. openaiApiKey");
  }
  WipeJsonStrings(body);  // plaintext copies of the keys
  return update;
}

// The secret's type: the body's, else the current one (on replace).
Result<SecretType> SecretTypeField(const JsonBody& body, std::optional<SecretType> current) {
  ASSIGN_OR_RETURN(auto type_text, body.OptionalString("type"));
  if (!type_text) {
    if (current) return *current;
    return InvalidArgument("type is required");
  }
  auto type = ParseSecretType(*type_text);
  if (!type) {
    return InvalidArgument(
        "type must be API_KEY, BASIC_AUTH, COOKIE, CUSTOM_HEADER or"
        " QUERY_PARAM");
  }
  return *type;
}

// Every value field present in the body, whatever the type.
Status ReadSecretValue(const JsonBody& body, SecretValue* value) {
  auto text_field = [&](const char* field, std::string* out) -> Status {
    ASSIGN_OR_RETURN(auto v, body.OptionalString(field));
    if (v) *out = std::move(*v);
    return Status::Ok();
  };
  RETURN_IF_ERROR(text_field("value", &value->value));
  RETURN_IF_ERROR(text_field("username", &value->username));
  RETURN_IF_ERROR(text_field("password", &value->password));
  RETURN_IF_ERROR(text_field("cookies", &value->cookies));
  RETURN_IF_ERROR(text_field("param", &value->param));
  if (body.Has("headers") && !body.json()["headers"].is_null()) {
    const json& h = body.json()["headers"];
    if (!h.is_object()) return InvalidArgument("headers must be an object of name to value");
    for (auto& [n, v] : h.items()) {
      if (!v.is_string()) return InvalidArgument("headers." + n + " must be a string");
      value->headers.emplace_back(n, v.get<std::string>());
    }
  }
  return Status::Ok();
}

// InvalidArgument naming the first field that `w`'s type needs and lacks.
Status RequireSecretFields(const SecretWrite& w) {
  auto required = [&](const std::string& v, const char* field) -> Status {
    if (v.empty())
      return InvalidArgument(std::string(field) + " is required for type " +
                             std::string(SecretTypeName(w.type)));
    return Status::Ok();
  };
  switch (w.type) {
    case SecretType::kApiKey:
      return required(w.value.value, "value");
    case SecretType::kBasicAuth:
      RETURN_IF_ERROR(required(w.value.username, "username"));
      return required(w.value.password, "password");
    case SecretType::kCookie:
      return required(w.value.cookies, "cookies");
    case SecretType::kCustomHeader:
      if (w.value.headers.empty())
        return InvalidArgument("headers is required for type CUSTOM_HEADER");
      return Status::Ok();
    case SecretType::kQueryParam:
      RETURN_IF_ERROR(required(w.value.param, "param"));
      return required(w.value.value, "value");
  }
  return Status::Ok();
}

// A secret body: its value fields and healthCheck. `creating` allows name.
Result<JsonBody> ParseSecretBody(const std::string& text, bool creating) {
  std::vector<std::string> allowed = {"type",     "allowedHosts", "value",   "username",
                                      "password", "cookies",      "headers", "param",
                                      "baseUrl",  "healthCheck"};
  if (creating) allowed.push_back("name");
  return JsonBody::Parse(text, allowed);
}

// The value fields of a secret body, by type. `creating` requires name.
Result<SecretWrite> ParseSecretWrite(const JsonBody& body, bool creating,
                                     std::optional<SecretType> current, std::string* name) {
  if (creating) {
    ASSIGN_OR_RETURN(*name, body.RequiredString("name"));
  }
  SecretWrite w;
  ASSIGN_OR_RETURN(w.type, SecretTypeField(body, current));
  if (body.Has("allowedHosts") && !body.json()["allowedHosts"].is_null()) {
    ASSIGN_OR_RETURN(w.allowed_hosts, body.RequiredStringArray("allowedHosts"));
  }
  if (body.Has("baseUrl")) {
    ASSIGN_OR_RETURN(std::optional<std::string> url, body.OptionalString("baseUrl"));
    w.base_url = url;  // null removes it
  }
  RETURN_IF_ERROR(ReadSecretValue(body, &w.value));
  RETURN_IF_ERROR(RequireSecretFields(w));
  return w;
}

Result<HttpResponse> PutProviderKeys(const CredentialRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(ProviderKeysUpdate update, ParseProviderUpdate(ctx.request.body));
  ASSIGN_OR_RETURN(CredentialsSummary summary,
                   d.credentials.PutProviderKeys(ctx.account_id(), update, ctx.audit));
  for (auto& [id, key] : update.keys) {
    if (key) SecureWipe(key->data(), key->size());
  }
  return JsonResponse(200, ToJson(summary));
}

Result<HttpResponse> GetProviderKeys(const CredentialRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(CredentialsSummary summary, d.credentials.Summary(ctx.account_id()));
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  json out = ToJson(summary);
  json by_provider = json::object();
  for (const ProviderSummary& p : summary.providers) {
    if (p.has_key) by_provider[p.provider->id] = HealthOf(health, p.provider->id);
  }
  out["health"] = by_provider;
  return JsonResponse(200, out);
}

// healthCheck in a secret body: absent (nullopt); null (an empty url: the
// check goes); or {url, expectStatus?}, checked here so that a bad one
// changes nothing.
Result<std::optional<SecretCheck>> ParseHealthCheck(const JsonBody& body) {
  if (!body.Has("healthCheck")) return std::optional<SecretCheck>();
  const json& field = body.json()["healthCheck"];
  if (field.is_null()) return std::optional<SecretCheck>(SecretCheck{});
  if (!field.is_object()) return InvalidArgument("healthCheck must be an object or null");
  auto check = JsonBody::Parse(field.dump(), {"url", "expectStatus"});
  Result<std::string> url = check.ok() ? check->RequiredString("url") : check.status();
  Result<std::optional<int64_t>> expect =
      url.ok() ? check->OptionalInt("expectStatus", 100, 599) : url.status();
  Status valid =
      expect.ok() ? HealthService::ValidateSecretCheck(*url, static_cast<int>(expect->value_or(0)))
                  : expect.status();
  if (!valid.ok()) return InvalidArgument("healthCheck: " + valid.message());
  return std::optional<SecretCheck>(SecretCheck{*url, static_cast<int>(expect->value_or(0))});
}

json HealthCheckJson(const std::map<std::string, SecretCheck>& checks, const std::string& name) {
  auto found = checks.find(name);
  if (found == checks.end()) return nullptr;
  const SecretCheck& c = found->second;
  return {{"url", c.url}, {"expectStatus", c.expect_status ? json(c.expect_status) : json()}};
}

// A secret as every route shows it: with its health and health check.
Result<json> SecretJson(const CredentialRouteDeps& d, RequestContext& ctx, const SecretInfo& info) {
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  ASSIGN_OR_RETURN(auto checks, d.health.SecretChecks(ctx.account_id()));
  json out = ToJson(info);
  out["health"] = HealthOf(health, info.name);
  out["healthCheck"] = HealthCheckJson(checks, info.name);
  return out;
}

// Writes a secret (`create` or replace), then its healthCheck if the body
// has one: validated beforehand, so only a storage failure can part them.
Result<HttpResponse> WriteSecret(const CredentialRouteDeps& d, RequestContext& ctx, bool create) {
  std::optional<SecretInfo> current;
  if (!create) {
    ASSIGN_OR_RETURN(current, d.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
  }
  ASSIGN_OR_RETURN(JsonBody body, ParseSecretBody(ctx.request.body, create));
  std::string name = create ? "" : current->name;
  ASSIGN_OR_RETURN(
      SecretWrite write,
      ParseSecretWrite(body, create, create ? std::nullopt : std::optional(current->type), &name));
  ASSIGN_OR_RETURN(std::optional<SecretCheck> check, ParseHealthCheck(body));
  ASSIGN_OR_RETURN(SecretInfo info,
                   create ? d.credentials.CreateSecret(ctx.account_id(), name, write, ctx.audit)
                          : d.credentials.ReplaceSecret(ctx.account_id(), name, write, ctx.audit));
  if (check && check->url.empty()) {
    RETURN_IF_ERROR(d.health.RemoveSecretCheck(ctx.account_id(), info.name, ctx.audit));
  } else if (check) {
    RETURN_IF_ERROR(d.health.SetSecretCheck(ctx.account_id(), info.name, check->url,
                                            check->expect_status, ctx.audit));
  }
  ASSIGN_OR_RETURN(json out, SecretJson(d, ctx, info));
  return JsonResponse(create ? 201 : 200, out);
}

Result<HttpResponse> CreateSecret(const CredentialRouteDeps& d, RequestContext& ctx) {
  return WriteSecret(d, ctx, true);
}

Result<HttpResponse> ListSecrets(const CredentialRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto list, d.credentials.ListSecrets(ctx.account_id()));
  ASSIGN_OR_RETURN(auto health, d.health.ForAccount(ctx.account_id()));
  ASSIGN_OR_RETURN(auto checks, d.health.SecretChecks(ctx.account_id()));
  auto key = [](const SecretInfo& s) { return PageKey{ToUnix(s.created_at), s.id}; };
  std::optional<PageKey> next;
  json out = json::array();
  for (const auto& info : Paginate(std::move(list), page, key, NewerFirst, &next)) {
    out.push_back(ToJson(info));
    out.back()["health"] = HealthOf(health, info.name);
    out.back()["healthCheck"] = HealthCheckJson(checks, info.name);
  }
  return JsonResponse(200, ListBody(page, std::move(out), next));
}

Result<HttpResponse> GetSecret(const CredentialRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(SecretInfo info, d.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
  ASSIGN_OR_RETURN(json out, SecretJson(d, ctx, info));
  return JsonResponse(200, out);
}

Result<HttpResponse> ReplaceSecret(const CredentialRouteDeps& d, RequestContext& ctx) {
  return WriteSecret(d, ctx, false);
}

Result<HttpResponse> DeleteSecret(const CredentialRouteDeps& d, RequestContext& ctx) {
  RETURN_IF_ERROR(d.credentials.DeleteSecret(ctx.account_id(), ctx.param("name"), ctx.audit));
  return JsonResponse(200, {{"name", ctx.param("name")}, {"deleted", true}});
}

constexpr const char* kRead = scopes::kCredentialsRead;
constexpr const char* kWrite = scopes::kCredentialsWrite;

const RouteRow<CredentialRouteDeps> kCredentialRoutes[] = {
    {{"PUT", "/credentials", AuthKind::kApiKey, kWrite, kBlocking, PutProviderKeys},
     {"Set or remove provider keys (write-only; null removes one)",
      "credentials",
      schemas::kPutProviderKeysRequest,
      schemas::kCredentialsSummary,
      200,
      {},
      kConditional}},
    {{"GET", "/credentials", AuthKind::kApiKey, kRead, kBlocking, GetProviderKeys},
     {"Masked summary of every provider key",
      "credentials",
      "",
      schemas::kCredentialsSummary,
      200,
      {},
      kConditional}},
    {{"POST", "/secrets", AuthKind::kApiKey, kWrite, kBlocking, CreateSecret},
     {"Create a typed secret (write-only)", "credentials", schemas::kCreateSecretRequest,
      schemas::kCreatedSecret, 201}},
    {{"GET", "/secrets", AuthKind::kApiKey, kRead, kBlocking, ListSecrets},
     {"List secrets (masked metadata only)", "credentials", "", schemas::kSecretList}},
    {{"GET", "/secrets/{name}", AuthKind::kApiKey, kRead, kBlocking, GetSecret},
     {"A secret's masked metadata", "credentials", "", schemas::kSecret, 200, {}, kConditional}},
    {{"PUT", "/secrets/{name}", AuthKind::kApiKey, kWrite, kBlocking, ReplaceSecret},
     {"Replace a secret's value (a new version, used at once)",
      "credentials",
      schemas::kSecretWriteRequest,
      schemas::kSecret,
      200,
      {},
      kConditional}},
    {{"DELETE", "/secrets/{name}", AuthKind::kApiKey, kWrite, kBlocking, DeleteSecret},
     {"Delete a secret", "credentials", "", schemas::kDeletedSecret, 200, {}, kConditional}},
};

}  // namespace

void AddCredentialRoutes(Router& router, const CredentialRouteDeps& deps) {
  AddRoutes(router, deps, kCredentialRoutes);
}

}  // namespace latchkey
