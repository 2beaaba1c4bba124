// Write-only provider keys (PUT/GET /credentials) and typed secrets
// (/secrets). No route here ever returns a stored value.
#include "api/app.h"
#include "api/json_body.h"
#include "api/json_views.h"
#include "api/responses.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

Result<ProviderKeysUpdate> ParseProviderUpdate(const std::string& text) {
  ASSIGN_OR_RETURN(json body, JsonBody::ParseObject(text));
  std::string unknown;
  ProviderKeysUpdate update;
  for (auto& [key, value] : body.items()) {
    if (key == "allowedHosts") continue;
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
    const json& hosts = body["allowedHosts"];
    if (!hosts.is_object()) {
      return InvalidArgument("allowedHosts must be an object of provider id to host list");
    }
    for (auto& [id, list] : hosts.items()) {
      if (!FindProvider(id)) return InvalidArgument("allowedHosts: unknown provider '" + id + "'");
      if (list.is_null()) {
        update.hosts.emplace_back(id, std::nullopt);
        continue;
      }
      if (!list.is_array()) return InvalidArgument("allowedHosts." + id + " must be an array");
      std::vector<std::string> names;
      for (const auto& h : list) {
        if (!h.is_string()) return InvalidArgument("allowedHosts." + id + " must hold strings");
        names.push_back(h.get<std::string>());
      }
      update.hosts.emplace_back(id, std::move(names));
    }
  }
  if (update.keys.empty() && update.hosts.empty()) {
    return InvalidArgument("name at least one provider key, e.g. openaiApiKey");
  }
  WipeJsonStrings(body);  // plaintext copies of the keys
  return update;
}

// The value fields of a secret body, by type. `creating` requires name.
Result<SecretWrite> ParseSecretWrite(const std::string& text, bool creating,
                                     std::optional<SecretType> current, std::string* name) {
  std::vector<std::string> allowed = {"type",     "allowedHosts", "value",   "username",
                                      "password", "cookies",      "headers", "param"};
  if (creating) allowed.push_back("name");
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(text, allowed));
  if (creating) {
    ASSIGN_OR_RETURN(*name, body.RequiredString("name"));
  }
  SecretWrite w;
  ASSIGN_OR_RETURN(auto type_text, body.OptionalString("type"));
  if (type_text) {
    auto type = ParseSecretType(*type_text);
    if (!type) {
      return InvalidArgument(
          "type must be API_KEY, BASIC_AUTH, COOKIE, CUSTOM_HEADER or"
          " QUERY_PARAM");
    }
    w.type = *type;
  } else if (current) {
    w.type = *current;
  } else {
    return InvalidArgument("type is required");
  }
  if (body.Has("allowedHosts") && !body.json()["allowedHosts"].is_null()) {
    ASSIGN_OR_RETURN(w.allowed_hosts, body.RequiredStringArray("allowedHosts"));
  }
  auto text_field = [&](const char* field, std::string* out) -> Status {
    ASSIGN_OR_RETURN(auto v, body.OptionalString(field));
    if (v) *out = std::move(*v);
    return Status::Ok();
  };
  RETURN_IF_ERROR(text_field("value", &w.value.value));
  RETURN_IF_ERROR(text_field("username", &w.value.username));
  RETURN_IF_ERROR(text_field("password", &w.value.password));
  RETURN_IF_ERROR(text_field("cookies", &w.value.cookies));
  RETURN_IF_ERROR(text_field("param", &w.value.param));
  if (body.Has("headers") && !body.json()["headers"].is_null()) {
    const json& h = body.json()["headers"];
    if (!h.is_object()) return InvalidArgument("headers must be an object of name to value");
    for (auto& [n, v] : h.items()) {
      if (!v.is_string()) return InvalidArgument("headers." + n + " must be a string");
      w.value.headers.emplace_back(n, v.get<std::string>());
    }
  }
  auto required = [&](const std::string& v, const char* field) -> Status {
    if (v.empty())
      return InvalidArgument(std::string(field) + " is required for type " +
                             std::string(SecretTypeName(w.type)));
    return Status::Ok();
  };
  switch (w.type) {
    case SecretType::kApiKey:
      RETURN_IF_ERROR(required(w.value.value, "value"));
      break;
    case SecretType::kBasicAuth:
      RETURN_IF_ERROR(required(w.value.username, "username"));
      RETURN_IF_ERROR(required(w.value.password, "password"));
      break;
    case SecretType::kCookie:
      RETURN_IF_ERROR(required(w.value.cookies, "cookies"));
      break;
    case SecretType::kCustomHeader:
      if (w.value.headers.empty())
        return InvalidArgument("headers is required for type CUSTOM_HEADER");
      break;
    case SecretType::kQueryParam:
      RETURN_IF_ERROR(required(w.value.param, "param"));
      RETURN_IF_ERROR(required(w.value.value, "value"));
      break;
  }
  return w;
}

constexpr char kSecretBodySchema[] =
    R"({"type":"object","properties":{"name":{"type":"string"},"type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},"allowedHosts":{"type":"array","items":{"type":"string"}},"value":{"type":"string"},"username":{"type":"string"},"password":{"type":"string"},"cookies":{"type":"string"},"headers":{"type":"object","additionalProperties":{"type":"string"}},"param":{"type":"string"}}})";
constexpr char kSecretSchema[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"type":{"type":"string"},"allowedHosts":{"type":"array","items":{"type":"string"}},"masked":{"type":"array","items":{"type":"object","properties":{"part":{"type":"string"},"last4":{"type":["string","null"]}}}},"param":{"type":"string"},"version":{"type":"integer"},"createdAt":{"type":"string"},"updatedAt":{"type":"string"},"lastUsedAt":{"type":["string","null"]},"useCount":{"type":"integer"}}})";

}  // namespace

void AddCredentialRoutes(Router& router, AppServices& s) {
  router.Add(
      {"PUT",
       "/credentials",
       AuthKind::kApiKey,
       scopes::kCredentialsWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(ProviderKeysUpdate update, ParseProviderUpdate(ctx.request.body));
         ASSIGN_OR_RETURN(CredentialsSummary summary,
                          s.credentials.PutProviderKeys(ctx.account_id(), update, ctx.audit));
         for (auto& [id, key] : update.keys) {
           if (key) SecureWipe(key->data(), key->size());
         }
         return JsonResponse(200, ToJson(summary));
       },
       {"Set or remove provider keys (write-only; null removes one)", "credentials",
        R"({"type":"object","properties":{"openaiApiKey":{"type":["string","null"]},"anthropicApiKey":{"type":["string","null"]},"allowedHosts":{"type":"object"}},"additionalProperties":{"type":["string","null"]}})",
        R"({"type":"object","description":"hasXApiKey / xApiKeyLast4 for every provider, allowedHosts, usage, updatedAt"})"}});

  router.Add(
      {"GET",
       "/credentials",
       AuthKind::kApiKey,
       scopes::kCredentialsRead,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(CredentialsSummary summary, s.credentials.Summary(ctx.account_id()));
         return JsonResponse(200, ToJson(summary));
       },
       {"Masked summary of every provider key", "credentials", "",
        R"({"type":"object","description":"hasXApiKey / xApiKeyLast4 for every provider, allowedHosts, usage, updatedAt"})"}});

  router.Add({"POST",
              "/secrets",
              AuthKind::kApiKey,
              scopes::kCredentialsWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                std::string name;
                ASSIGN_OR_RETURN(SecretWrite write,
                                 ParseSecretWrite(ctx.request.body, true, std::nullopt, &name));
                ASSIGN_OR_RETURN(SecretInfo info, s.credentials.CreateSecret(ctx.account_id(), name,
                                                                             write, ctx.audit));
                return JsonResponse(201, ToJson(info));
              },
              {"Create a typed secret (write-only)", "credentials", kSecretBodySchema,
               kSecretSchema, 201}});

  router.Add({"GET",
              "/secrets",
              AuthKind::kApiKey,
              scopes::kCredentialsRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(auto list, s.credentials.ListSecrets(ctx.account_id()));
                json out = json::array();
                for (const auto& info : list) out.push_back(ToJson(info));
                return JsonResponse(200, {{"secrets", out}});
              },
              {"List secrets (masked metadata only)", "credentials", "",
               R"({"type":"object","properties":{"secrets":{"type":"array"}}})"}});

  router.Add({"GET",
              "/secrets/{name}",
              AuthKind::kApiKey,
              scopes::kCredentialsRead,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(SecretInfo info,
                                 s.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
                return JsonResponse(200, ToJson(info));
              },
              {"A secret's masked metadata", "credentials", "", kSecretSchema}});

  router.Add({"PUT",
              "/secrets/{name}",
              AuthKind::kApiKey,
              scopes::kCredentialsWrite,
              [&s](RequestContext& ctx) -> Result<HttpResponse> {
                ASSIGN_OR_RETURN(SecretInfo current,
                                 s.credentials.GetSecret(ctx.account_id(), ctx.param("name")));
                ASSIGN_OR_RETURN(SecretWrite write,
                                 ParseSecretWrite(ctx.request.body, false, current.type, nullptr));
                ASSIGN_OR_RETURN(SecretInfo info,
                                 s.credentials.ReplaceSecret(ctx.account_id(), ctx.param("name"),
                                                             write, ctx.audit));
                return JsonResponse(200, ToJson(info));
              },
              {"Replace a secret's value (a new version, used at once)", "credentials",
               kSecretBodySchema, kSecretSchema}});

  router.Add(
      {"DELETE",
       "/secrets/{name}",
       AuthKind::kApiKey,
       scopes::kCredentialsWrite,
       [&s](RequestContext& ctx) -> Result<HttpResponse> {
         RETURN_IF_ERROR(
             s.credentials.DeleteSecret(ctx.account_id(), ctx.param("name"), ctx.audit));
         return JsonResponse(200, {{"name", ctx.param("name")}, {"deleted", true}});
       },
       {"Delete a secret", "credentials", "",
        R"({"type":"object","properties":{"name":{"type":"string"},"deleted":{"type":"boolean"}}})"}});
}

}  // namespace latchkey
