// Health, readiness and the OpenAPI document. Public.
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/responses.h"

namespace latchkey {
namespace {

nlohmann::json Schemas() {
  return nlohmann::json::parse(R"({
    "Error": {"type":"object","required":["error","code","status"],
      "properties":{"error":{"type":"string"},"code":{"type":"string"},"status":{"type":"integer"}}},
    "Account": {"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},
      "createdAt":{"type":"string","format":"date-time"}}},
    "CreatedAccount": {"allOf":[{"$ref":"#/components/schemas/Account"},
      {"type":"object","properties":{"apiKey":{"type":"string"},"apiKeyId":{"type":"string"}}}]},
    "ApiKey": {"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},
      "scopes":{"type":"array","items":{"type":"string"}},
      "createdAt":{"type":"string","format":"date-time"},
      "expiresAt":{"type":["string","null"],"format":"date-time"},
      "lastUsedAt":{"type":["string","null"],"format":"date-time"},
      "credentials":{"type":["array","null"],"items":{"type":"string"}}}},
    "CreatedApiKey": {"allOf":[{"$ref":"#/components/schemas/ApiKey"},
      {"type":"object","properties":{"apiKey":{"type":"string"}}}]},
    "AuditEvent": {"type":"object","properties":{"id":{"type":"string"},"account":{"type":"string"},
      "seq":{"type":"integer"},"time":{"type":"string","format":"date-time"},
      "actor":{"type":"string"},"action":{"type":"string"},"resource":{"type":"string"},
      "outcome":{"type":"string"},"requestId":{"type":"string"},"clientAddress":{"type":"string"},
      "details":{"type":"object","additionalProperties":{"type":"string"}},
      "prevHash":{"type":"string"},"hash":{"type":"string"}}},
    "Certificate": {"type":"object","properties":{"id":{"type":"string"},
      "account":{"type":"string"},"kid":{"type":"string"},"name":{"type":"string"},
      "publicKey":{"type":"string","description":"SPKI PEM"},
      "algorithm":{"enum":["RS256","ES256"]},"keySize":{"type":"integer"},
      "custody":{"enum":["exported","managed"]},"status":{"enum":["active","revoked","expired"]},
      "expiresAt":{"type":["string","null"],"format":"date-time"},
      "metadata":{"type":"object","additionalProperties":{"type":"string"}},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"},
      "activatesAt":{"type":["string","null"],"format":"date-time"},
      "retiresAt":{"type":["string","null"],"format":"date-time"},
      "revokedAt":{"type":["string","null"],"format":"date-time"}}},
    "CreatedCertificate": {"allOf":[{"$ref":"#/components/schemas/Certificate"},
      {"type":"object","properties":{"privateKey":{"type":"string",
        "description":"PKCS#8 PEM; exported custody only, shown once"}}}]},
    "RotationPolicy": {"type":"object","properties":{"rotationPeriod":{"type":"integer"},
      "overlap":{"type":"integer"},"algorithm":{"enum":["RS256","ES256"]},
      "keySize":{"type":"integer"},"nextRotationAt":{"type":"string","format":"date-time"},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"}}},
    "Jwks": {"type":"object","required":["keys"],"properties":{"keys":{"type":"array",
      "items":{"type":"object","properties":{"kty":{"type":"string"},"use":{"type":"string"},
        "alg":{"type":"string"},"kid":{"type":"string"},"n":{"type":"string"},
        "e":{"type":"string"},"crv":{"type":"string"},"x":{"type":"string"},
        "y":{"type":"string"}}}}}}
  })");
}

nlohmann::json ErrorRef(const std::string& description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

nlohmann::json Operation(const Route& route) {
  nlohmann::json op = {{"summary", route.doc.summary},
                       {"tags", nlohmann::json::array({route.doc.tag})},
                       {"operationId", route.method + " " + route.pattern}};
  nlohmann::json params = nlohmann::json::array();
  for (size_t pos = route.pattern.find('{'); pos != std::string::npos;
       pos = route.pattern.find('{', pos + 1)) {
    std::string name = route.pattern.substr(pos + 1, route.pattern.find('}', pos) - pos - 1);
    params.push_back(
        {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  for (const auto& q : route.doc.query_params) {
    params.push_back(
        {{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
  }
  if (!params.empty()) op["parameters"] = params;
  if (!route.doc.request_schema.empty()) {
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/json", {{"schema", nlohmann::json::parse(route.doc.request_schema)}}}}}};
  }
  nlohmann::json responses;
  nlohmann::json ok = {{"description", "Success"}};
  if (!route.doc.response_schema.empty()) {
    ok["content"] = {
        {"application/json", {{"schema", nlohmann::json::parse(route.doc.response_schema)}}}};
  }
  responses[std::to_string(route.doc.success_status)] = ok;
  if (route.method == "POST" || route.method == "PUT" || !route.doc.query_params.empty()) {
    responses["400"] = ErrorRef("Malformed request");
  }
  if (route.auth != AuthKind::kPublic) {
    responses["401"] = ErrorRef("Missing or invalid key");
    op["security"] = nlohmann::json::array(
        {{{route.auth == AuthKind::kAdmin ? "adminKey" : "apiKey", nlohmann::json::array()}}});
  }
  if (route.auth == AuthKind::kApiKey) {
    responses["403"] = ErrorRef("The key lacks the scope " + route.scope);
    op["x-required-scope"] = route.scope;
  }
  if (route.pattern.find('{') != std::string::npos) responses["404"] = ErrorRef("Not found");
  op["responses"] = responses;
  return op;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json BuildOpenApi(const Router& router, const std::string& public_url) {
  nlohmann::json paths = nlohmann::json::object();
  for (const Route& route : router.routes()) {
    paths[route.pattern][Lower(route.method)] = Operation(route);
  }
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "Latchkey"},
            {"version", "0.1.0"},
            {"description", "PKI and OAuth credential authority for AI agents and backends"}}},
          {"servers", nlohmann::json::array({{{"url", public_url}}})},
          {"paths", paths},
          {"components",
           {{"schemas", Schemas()},
            {"securitySchemes",
             {{"apiKey",
               {{"type", "http"},
                {"scheme", "bearer"},
                {"description", "An account API key (lk_key_...)"}}},
              {"adminKey",
               {{"type", "http"},
                {"scheme", "bearer"},
                {"description", "The operator's admin key"}}}}}}}};
}

void AddSystemRoutes(Router& router, AppServices& s, const AppOptions& options) {
  router.Add(NonBlocking({"GET",
                          "/healthz",
                          AuthKind::kPublic,
                          "",
                          [](RequestContext&) -> Result<HttpResponse> {
                            return JsonResponse(200, {{"status", "ok"}});
                          },
                          {"Liveness: the process is up", "system", "",
                           R"({"type":"object","properties":{"status":{"type":"string"}}})"}}));
  router.Add(
      {"GET",
       "/readyz",
       AuthKind::kPublic,
       "",
       [&s](RequestContext&) -> Result<HttpResponse> {
         Status ping = s.db.Ping();
         if (!ping.ok()) {
           return ErrorResponse(503, "UNAVAILABLE", "database is not reachable");
         }
         return JsonResponse(200, {{"status", "ready"}, {"database", "ok"}});
       },
       {"Readiness: the database answers", "system", "",
        R"({"type":"object","properties":{"status":{"type":"string"},"database":{"type":"string"}}})"}});
  router.Add(NonBlocking({"GET",
                          "/openapi.json",
                          AuthKind::kPublic,
                          "",
                          [&router, &options](RequestContext&) -> Result<HttpResponse> {
                            return JsonResponse(200, BuildOpenApi(router, options.public_url));
                          },
                          {"This OpenAPI 3.1 document", "system", "", R"({"type":"object"})"}}));
}

}  // namespace latchkey
