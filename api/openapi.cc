#include "api/openapi.h"

#include <cctype>

#include "api/openapi_components.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

json Ref(const std::string& where) { return {{"$ref", where}}; }

bool IsWrite(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool HasBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

// A list body (api/schemas/list.h): {"data": [...], "nextCursor": ...}.
bool IsList(const json& schema) {
  return schema.is_object() && schema.contains("properties") &&
         schema["properties"].contains("data") && schema["properties"].contains("nextCursor");
}

json Parameters(const Route& route, const json& success_schema) {
  json params = json::array();
  for (size_t pos = route.pattern.find('{'); pos != std::string::npos;
       pos = route.pattern.find('{', pos + 1)) {
    std::string name = route.pattern.substr(pos + 1, route.pattern.find('}', pos) - pos - 1);
    params.push_back(
        {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  params.push_back(Ref("#/components/parameters/RequestId"));
  bool list = IsList(success_schema);
  for (const auto& q : route.doc.query_params) {
    if (q == "limit" || q == "cursor") continue;  // below
    params.push_back(
        {{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
  }
  auto named = [&](const char* q) {
    for (const auto& p : route.doc.query_params) {
      if (p == q) return true;
    }
    return false;
  };
  if (list || named("limit")) params.push_back(Ref("#/components/parameters/Limit"));
  if (list || named("cursor")) params.push_back(Ref("#/components/parameters/Cursor"));
  if (CreatesResource(route.method, route.doc)) {
    params.push_back(Ref("#/components/parameters/IdempotencyKey"));
  }
  if (route.doc.conditional && IsWrite(route.method)) {
    params.push_back(Ref("#/components/parameters/IfMatch"));
  }
  return params;
}

json SuccessResponse(const Route& route, const json& schema, const json& components) {
  json ok = {{"description", "Success"},
             {"headers", {{"X-Request-Id", Ref("#/components/headers/RequestId")}}}};
  if (!schema.is_null()) {
    ok["content"] = {
        {"application/json", {{"schema", schema}, {"example", ExampleOf(schema, components)}}}};
  }
  if (route.doc.conditional && route.method != "DELETE") {
    ok["headers"]["ETag"] = Ref("#/components/headers/ETag");
  }
  if (CreatesResource(route.method, route.doc)) {
    ok["headers"]["Idempotent-Replayed"] = Ref("#/components/headers/IdempotentReplayed");
  }
  if (route.doc.success_status == 302) {
    ok["description"] = "Redirect";
    ok["headers"]["Location"] = {{"schema", {{"type", "string"}}}};
  }
  return ok;
}

// The error responses `route` can answer, as refs to components.responses.
json ErrorResponses(const Route& route, bool list) {
  json out = json::object();
  auto add = [&](const char* status, const char* name) {
    out[status] = Ref(std::string("#/components/responses/") + name);
  };
  if (route.doc.tag == "dev") return out;  // a stand-in provider's own dialect
  bool creates = CreatesResource(route.method, route.doc);
  bool path_params = route.pattern.find('{') != std::string::npos;
  if (HasBody(route.method) || !route.doc.query_params.empty() || path_params || creates || list) {
    add("400", "BadRequest");
  }
  if (route.auth != AuthKind::kPublic) add("401", "Unauthorized");
  if (route.auth != AuthKind::kPublic && route.auth != AuthKind::kAdmin && !route.scope.empty()) {
    add("403", "Forbidden");
  }
  if (path_params) add("404", "NotFound");
  bool proxied = route.doc.tag == "proxy" || route.doc.tag == "mcp";
  bool reauth = route.pattern.ends_with("/access-token");
  if (creates) {
    add("409", "ConflictOrKeyInUse");
  } else if (reauth) {
    add("409", "NeedsReauth");
  } else if (IsWrite(route.method) && route.auth != AuthKind::kPublic && !proxied) {
    add("409", "Conflict");
  }
  if (route.doc.conditional && IsWrite(route.method)) add("412", "PreconditionFailed");
  if (HasBody(route.method)) add("413", "PayloadTooLarge");
  if (creates) add("422", "IdempotencyKeyReused");
  add("429", "RateLimited");
  if (route.blocking) add("503", "Unavailable");
  add("default", "Error");
  return out;
}

json Operation(const Route& route, const json& components) {
  json op = {{"summary", route.doc.summary},
             {"tags", json::array({route.doc.tag})},
             {"operationId", route.method + " " + route.pattern}};
  json success_schema =
      route.doc.response_schema.empty() ? json() : json::parse(route.doc.response_schema);
  op["parameters"] = Parameters(route, success_schema);
  if (!route.doc.request_schema.empty()) {
    json schema = json::parse(route.doc.request_schema);
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/json", {{"schema", schema}, {"example", ExampleOf(schema, components)}}}}}};
  }
  json responses = ErrorResponses(route, IsList(success_schema));
  responses[std::to_string(route.doc.success_status)] =
      SuccessResponse(route, success_schema, components);
  op["responses"] = responses;
  if (route.auth != AuthKind::kPublic) {
    op["security"] =
        json::array({{{route.auth == AuthKind::kAdmin ? "adminKey" : "apiKey", json::array()}}});
  }
  if ((route.auth == AuthKind::kApiKey || route.auth == AuthKind::kSdkKey) &&
      !route.scope.empty()) {
    op["x-required-scope"] = route.scope;
  }
  return op;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

json BuildOpenApi(const Router& router, const std::string& public_url) {
  json components = OpenApiComponents();
  json paths = json::object();
  for (const Route& route : router.routes()) {
    paths[route.pattern][Lower(route.method)] = Operation(route, components["schemas"]);
  }
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "Latchkey"},
            {"version", LATCHKEY_VERSION},
            {"description", "PKI and OAuth credential authority for AI agents and backends"}}},
          {"servers", json::array({{{"url", public_url}}})},
          {"paths", paths},
          {"components", components}};
}

std::string OpenApiCache::Get(const Router& router, const std::string& public_url) {
  std::lock_guard<std::mutex> lock(mu_);
  if (text_.empty() || url_ != public_url) {
    text_ = BuildOpenApi(router, public_url).dump();
    url_ = public_url;
  }
  return text_;
}

}  // namespace latchkey
