#include "api/openapi_components.h"

#include <algorithm>
#include <string>

#include "api/schemas/admin.h"
#include "api/schemas/api_keys.h"
#include "api/schemas/audit.h"
#include "api/schemas/certificates.h"
#include "api/schemas/credentials.h"
#include "api/schemas/oauth.h"
#include "api/schemas/system.h"
#include "api/schemas/usage.h"
#include "api/schemas/webhooks.h"
#include "services/accounts/scopes.h"
#include "services/credentials/providers.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

const json kNullableTime = {{"type", {"string", "null"}}, {"format", "date-time"}};

// "openaiApiKey" -> "hasOpenaiApiKey", as ToJson(CredentialsSummary) names it.
std::string HasField(const std::string& field) {
  std::string out = field;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return "has" + out;
}

// An object with one property `schema` per provider id.
json PerProvider(const json& schema, bool all_required) {
  json out = {{"type", "object"}, {"additionalProperties", false}, {"properties", json::object()}};
  for (const ProviderInfo& p : Providers()) out["properties"][p.id] = schema;
  if (all_required) {
    out["required"] = json::array();
    for (const ProviderInfo& p : Providers()) out["required"].push_back(p.id);
  }
  return out;
}

// ToJson(CredentialsSummary) (api/json_views.cc): the answer of PUT and
// GET /credentials, with `health` on GET only.
json CredentialsSummarySchema() {
  json props = json::object();
  json required = json::array();
  json example = json::object();
  for (const ProviderInfo& p : Providers()) {
    props[HasField(p.field)] = {{"type", "boolean"}};
    props[p.field + "Last4"] = {{"type", {"string", "null"}}};
    required.push_back(HasField(p.field));
    required.push_back(p.field + "Last4");
    example[HasField(p.field)] = p.id == "openai";
    example[p.field + "Last4"] = p.id == "openai" ? json("x9Qa") : json(nullptr);
  }
  props["allowedHosts"] = PerProvider({{"type", "array"}, {"items", {{"type", "string"}}}}, true);
  props["baseUrls"] = PerProvider({{"type", "string"}}, true);
  props["usage"] = PerProvider({{"type", "object"},
                                {"additionalProperties", false},
                                {"required", {"updatedAt", "lastUsedAt", "useCount"}},
                                {"properties",
                                 {{"updatedAt", kNullableTime},
                                  {"lastUsedAt", kNullableTime},
                                  {"useCount", {{"type", "integer"}}}}}},
                               false);
  props["usage"]["description"] = "providers with a key only";
  props["updatedAt"] = kNullableTime;
  props["health"] = PerProvider({{"$ref", "#/components/schemas/Health"}}, false);
  props["health"]["description"] = "GET only: providers with a key";
  for (const char* f : {"allowedHosts", "baseUrls", "usage", "updatedAt"}) required.push_back(f);
  json hosts = json::object();
  json urls = json::object();
  for (const ProviderInfo& p : Providers()) {
    hosts[p.id] = p.hosts;
    urls[p.id] = p.base_url;
  }
  example["allowedHosts"] = hosts;
  example["baseUrls"] = urls;
  example["usage"] = {
      {"openai",
       {{"updatedAt", "2026-01-02T03:04:05Z"}, {"lastUsedAt", nullptr}, {"useCount", 0}}}};
  example["updatedAt"] = "2026-01-02T03:04:05Z";
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", required},
          {"properties", props},
          {"examples", json::array({example})}};
}

// The body of PUT /credentials: a key field per provider (null removes
// it), allowedHosts (null restores the defaults) and baseUrls.
json PutProviderKeysSchema() {
  json props = json::object();
  for (const ProviderInfo& p : Providers()) props[p.field] = {{"type", {"string", "null"}}};
  props["allowedHosts"] =
      PerProvider({{"type", {"array", "null"}}, {"items", {{"type", "string"}}}}, false);
  props["baseUrls"] = PerProvider({{"type", {"string", "null"}}}, false);
  return {{"type", "object"},
          {"additionalProperties", false},
          {"minProperties", 1},
          {"properties", props},
          {"examples",
           {{{"openaiApiKey", "sk-proj-example0000000000000000x9Qa"},
             {"allowedHosts", {{"openai", {"api.openai.com"}}}}}}}};
}

json Schemas() {
  json schemas = json::parse(schemas::kComponents);
  for (const char* family :
       {schemas::kAdminComponents, schemas::kApiKeyComponents, schemas::kAuditComponents,
        schemas::kCertificateComponents, schemas::kCredentialComponents, schemas::kOAuthComponents,
        schemas::kUsageComponents, schemas::kWebhookComponents}) {
    schemas.update(json::parse(family));
  }
  schemas["Scope"] = {{"enum", scopes::All()}};
  schemas["CredentialsSummary"] = CredentialsSummarySchema();
  schemas["PutProviderKeysRequest"] = PutProviderKeysSchema();
  return schemas;
}

json Parameters() {
  return {{"RequestId",
           {{"name", "X-Request-Id"},
            {"in", "header"},
            {"required", false},
            {"description",
             "the request's id in logs and audit events (answered back); one is made"
             " when absent or not of this form"},
            {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]{1,64}$"}}}}},
          {"IdempotencyKey",
           {{"name", "Idempotency-Key"},
            {"in", "header"},
            {"required", false},
            {"description",
             "a retry with the same key and body answers the first response"
             " (without the values shown once) with replayed: true"},
            {"schema", {{"type", "string"}, {"pattern", "^[\\x20-\\x7E]{1,255}$"}}}}},
          {"IfMatch",
           {{"name", "If-Match"},
            {"in", "header"},
            {"required", false},
            {"description", "the ETag of the version this write replaces; 412 when it changed"},
            {"schema", {{"type", "string"}}}}},
          {"Limit",
           {{"name", "limit"},
            {"in", "query"},
            {"required", false},
            {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 50}}}}},
          {"Cursor",
           {{"name", "cursor"},
            {"in", "query"},
            {"required", false},
            {"description", "the nextCursor of the previous page"},
            {"schema", {{"type", "string"}}}}}};
}

json Headers() {
  return {
      {"RequestId",
       {{"description", "the request's id (the one sent, or a new req_...)"},
        {"schema", {{"type", "string"}}}}},
      {"ETag",
       {{"description", "the resource's version, for If-Match"}, {"schema", {{"type", "string"}}}}},
      {"IdempotentReplayed",
       {{"description", "true when this is the replay of an earlier response"},
        {"schema", {{"const", "true"}}}}},
      {"RetryAfter", {{"description", "seconds to wait"}, {"schema", {{"type", "integer"}}}}}};
}

json ErrorResponse(const std::string& description, const json& example, bool retry = false) {
  json r = {{"description", description},
            {"headers", {{"X-Request-Id", {{"$ref", "#/components/headers/RequestId"}}}}},
            {"content",
             {{"application/json",
               {{"schema", {{"$ref", "#/components/schemas/Error"}}}, {"example", example}}}}}};
  if (retry) r["headers"]["Retry-After"] = {{"$ref", "#/components/headers/RetryAfter"}};
  return r;
}

json Error(const char* code, int status, const char* message) {
  return {{"error", message}, {"code", code}, {"status", status}};
}

json Responses() {
  json precondition = Error("PRECONDITION_FAILED", 412, "the resource changed since that ETag");
  precondition["currentEtag"] = "\"3q2-7b1f\"";
  json precondition_failed = ErrorResponse(
      "If-Match no longer matches (PRECONDITION_FAILED, with currentEtag)", precondition);
  precondition_failed["headers"]["ETag"] = {{"$ref", "#/components/headers/ETag"}};
  return {
      {"BadRequest", ErrorResponse("Malformed body, query, path or header",
                                   Error("BAD_REQUEST", 400, "name is required"))},
      {"Unauthorized",
       ErrorResponse("Missing or invalid key", Error("UNAUTHORIZED", 401, "invalid API key"))},
      {"Forbidden", ErrorResponse("The key lacks the route's scope (x-required-scope)",
                                  Error("FORBIDDEN", 403, "this API key lacks the 'proxy' scope"))},
      {"NotFound", ErrorResponse("Not found", Error("NOT_FOUND", 404, "certificate not found"))},
      {"Conflict", ErrorResponse("Conflicts with the resource's state (CONFLICT)",
                                 Error("CONFLICT", 409, "a secret named github exists"))},
      {"ConflictOrKeyInUse",
       ErrorResponse("CONFLICT (it exists), or IDEMPOTENCY_KEY_IN_USE (the first request with"
                     " this Idempotency-Key is still running)",
                     Error("IDEMPOTENCY_KEY_IN_USE", 409,
                           "a request with this Idempotency-Key is in progress"),
                     true)},
      {"NeedsReauth", ErrorResponse("NEEDS_REAUTH: the user must authorize again",
                                    Error("NEEDS_REAUTH", 409, "the grant was revoked"))},
      {"PreconditionFailed", precondition_failed},
      {"PayloadTooLarge",
       ErrorResponse("The body is too large",
                     Error("PAYLOAD_TOO_LARGE", 413, "request body exceeds 1048576 bytes"))},
      {"IdempotencyKeyReused",
       ErrorResponse("IDEMPOTENCY_KEY_REUSED: the key was used with another body",
                     Error("IDEMPOTENCY_KEY_REUSED", 422,
                           "this Idempotency-Key was used with a different request"))},
      {"RateLimited",
       ErrorResponse("Rate limited", Error("RATE_LIMITED", 429, "too many requests"), true)},
      {"Unavailable", ErrorResponse("Busy or shutting down; retry",
                                    Error("UNAVAILABLE", 503, "the server is busy; retry"), true)},
      {"Error", ErrorResponse("Any other error", Error("INTERNAL", 500, "internal error"))}};
}

json Synthesized(const json& schema, const json& components, int depth);

// An example of each property; required ones always.
json ObjectExample(const json& schema, const json& components, int depth) {
  json out = json::object();
  if (!schema.contains("properties")) return out;
  for (const auto& [name, property] : schema["properties"].items()) {
    out[name] = Synthesized(property, components, depth + 1);
  }
  return out;
}

json Synthesized(const json& schema, const json& components, int depth) {
  if (!schema.is_object() || depth > 8) return nullptr;
  if (schema.contains("examples") && !schema["examples"].empty()) return schema["examples"][0];
  if (schema.contains("const")) return schema["const"];
  if (schema.contains("enum")) return schema["enum"][0];
  if (schema.contains("$ref")) {
    std::string ref = schema["$ref"];
    std::string name = ref.substr(ref.rfind('/') + 1);
    return components.contains(name) ? Synthesized(components[name], components, depth + 1)
                                     : json(nullptr);
  }
  for (const char* any : {"oneOf", "anyOf", "allOf"}) {
    if (schema.contains(any)) return Synthesized(schema[any][0], components, depth + 1);
  }
  json type = schema.value("type", json("object"));
  if (type.is_array() && std::find(type.begin(), type.end(), "null") != type.end()) {
    return nullptr;  // an optional value: absent
  }
  std::string first = type.is_array() ? type[0].get<std::string>() : type.get<std::string>();
  if (first == "object") return ObjectExample(schema, components, depth);
  if (first == "array") {
    return json::array({Synthesized(schema.value("items", json::object()), components, depth + 1)});
  }
  if (first == "integer") return schema.value("minimum", 0);
  if (first == "boolean") return true;
  if (first == "string") {
    return schema.value("format", "") == "date-time" ? "2026-01-02T03:04:05Z" : "string";
  }
  return nullptr;
}

}  // namespace

json ExampleOf(const json& schema, const json& component_schemas) {
  return Synthesized(schema, component_schemas, 0);
}

json OpenApiComponents() {
  return {
      {"schemas", Schemas()},
      {"parameters", Parameters()},
      {"headers", Headers()},
      {"responses", Responses()},
      {"securitySchemes",
       {{"apiKey",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description", "An account API key (lk_key_...)"}}},
        {"adminKey",
         {{"type", "http"}, {"scheme", "bearer"}, {"description", "The operator's admin key"}}}}}};
}

}  // namespace latchkey
