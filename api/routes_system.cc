// Health, readiness and the OpenAPI document. Public.
#include <strings.h>

#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/responses.h"
#include "api/schemas/system.h"
#include "common/crypto.h"
#include "common/metrics.h"

namespace latchkey {
namespace {

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
  if ((route.auth == AuthKind::kApiKey || route.auth == AuthKind::kSdkKey) &&
      !route.scope.empty()) {
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

// The OpenAPI 3.1 document of every route in `router`.
nlohmann::json BuildOpenApi(const Router& router, const std::string& public_url) {
  nlohmann::json paths = nlohmann::json::object();
  for (const Route& route : router.routes()) {
    paths[route.pattern][Lower(route.method)] = Operation(route);
  }
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "Latchkey"},
            {"version", LATCHKEY_VERSION},
            {"description", "PKI and OAuth credential authority for AI agents and backends"}}},
          {"servers", nlohmann::json::array({{{"url", public_url}}})},
          {"paths", paths},
          {"components",
           {{"schemas", nlohmann::json::parse(schemas::kComponents)},
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

Result<HttpResponse> Health(const SystemRouteDeps& d, RequestContext&) {
  if (d.options.dev_mode) return JsonResponse(200, {{"status", "ok"}, {"mode", "DEV MODE"}});
  return JsonResponse(200, {{"status", "ok"}});
}

Result<HttpResponse> Readiness(const SystemRouteDeps& d, RequestContext&) {
  Status ping = d.db.Ping();
  if (!ping.ok()) return ErrorResponse(503, "UNAVAILABLE", "database is not reachable");
  return JsonResponse(200, {{"status", "ready"}, {"database", "ok"}});
}

HttpResponse MetricsResponse() {
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = Metrics::Default().Render();
  return r;
}

// Served on the main listener only with --metrics-token (a bearer token,
// compared in constant time); --metrics-listen serves it without one.
Result<HttpResponse> MetricsText(const SystemRouteDeps& d, RequestContext& ctx) {
  const std::string& token = d.options.metrics_token;
  if (token.empty()) {
    return NotFound(
        "metrics are not served on this listener (see --metrics-token and "
        "--metrics-listen)");
  }
  auto auth = ctx.request.Header("Authorization");
  bool bearer = auth && auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0;
  if (!bearer || !ConstantTimeEquals(auth->substr(7), token)) {
    HttpResponse r = ErrorResponse(401, "UNAUTHORIZED", "missing or invalid metrics token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  return MetricsResponse();
}

Result<HttpResponse> OpenApiDocument(const SystemRouteDeps& d, RequestContext&) {
  return JsonResponse(200, BuildOpenApi(d.router, d.options.public_url));
}

const RouteRow<SystemRouteDeps> kSystemRoutes[] = {
    {{"GET", "/healthz", AuthKind::kPublic, "", kNonBlocking, Health},
     {"Liveness: the process is up", "system", "", schemas::kHealth}},
    {{"GET", "/readyz", AuthKind::kPublic, "", kBlocking, Readiness},
     {"Readiness: the database answers", "system", "", schemas::kReadiness}},
    {{"GET", "/openapi.json", AuthKind::kPublic, "", kNonBlocking, OpenApiDocument},
     {"This OpenAPI 3.1 document", "system", "", schemas::kOpenApiDocument}},
    {{"GET", "/metrics", AuthKind::kPublic, "", kNonBlocking, MetricsText},
     {"Prometheus metrics (text format 0.0.4); needs the --metrics-token bearer token", "system",
      "", ""}},
};

}  // namespace

void AddSystemRoutes(Router& router, const SystemRouteDeps& deps) {
  AddRoutes(router, deps, kSystemRoutes);
}

}  // namespace latchkey
