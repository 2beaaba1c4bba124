#include "api/openapi.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "api/app.h"
#include "api/openapi_components.h"
#include "api/schemas/api_keys.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

Route Make(std::string method, std::string pattern, RouteDoc doc) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.scope = "api-keys:write";
  r.handler = [](RequestContext&) -> Result<HttpResponse> { return HttpResponse{}; };
  r.doc = std::move(doc);
  return r;
}

json Op(const Route& route) {
  Router router;
  router.Add(route);
  std::string method = route.method;
  for (char& c : method) c = static_cast<char>(std::tolower(c));
  return BuildOpenApi(router, "http://lk.test")["paths"][route.pattern][method];
}

std::vector<std::string> Refs(const json& op) {
  std::vector<std::string> refs;
  for (const auto& p : op["parameters"]) refs.push_back(p.value("$ref", p.value("name", "")));
  return refs;
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

BOOST_AUTO_TEST_SUITE(OpenApiTest)

BOOST_AUTO_TEST_CASE(ACreateTakesAnIdempotencyKeyAndDocumentsItsReplays) {
  json op =
      Op(Make("POST", "/api-keys",
              {"Create", "api-keys", schemas::kCreateApiKeyRequest, schemas::kCreatedApiKey, 201}));
  BOOST_TEST(Has(Refs(op), "#/components/parameters/IdempotencyKey"));
  BOOST_TEST(op["responses"]["201"]["headers"].contains("Idempotent-Replayed"));
  BOOST_TEST(op["responses"]["422"]["$ref"] == "#/components/responses/IdempotencyKeyReused");
  BOOST_TEST(op["responses"]["409"]["$ref"] == "#/components/responses/ConflictOrKeyInUse");
  BOOST_TEST(op["responses"].contains("413"));
}

BOOST_AUTO_TEST_CASE(AConditionalWriteTakesIfMatchAndAnswersAnETag) {
  RouteDoc doc{"Replace", "credentials", "{}", "{}"};
  doc.conditional = true;
  json put = Op(Make("PUT", "/secrets/{name}", doc));
  BOOST_TEST(Has(Refs(put), "#/components/parameters/IfMatch"));
  BOOST_TEST(put["responses"].contains("412"));
  BOOST_TEST(put["responses"]["200"]["headers"].contains("ETag"));
  json get = Op(Make("GET", "/secrets/{name}", {"Read", "credentials", "", "{}", 200, {}, true}));
  BOOST_TEST(!Has(Refs(get), "#/components/parameters/IfMatch"));
  BOOST_TEST(!get["responses"].contains("412"));
  BOOST_TEST(get["responses"]["200"]["headers"].contains("ETag"));
}

BOOST_AUTO_TEST_CASE(AListTakesLimitAndCursorAndGetsAnExampleOfItsItems) {
  json op = Op(Make("GET", "/api-keys", {"List", "api-keys", "", schemas::kApiKeyList}));
  BOOST_TEST(Has(Refs(op), "#/components/parameters/Limit"));
  BOOST_TEST(Has(Refs(op), "#/components/parameters/Cursor"));
  json example = op["responses"]["200"]["content"]["application/json"]["example"];
  BOOST_TEST(example["data"][0]["id"] == "key_7c2mxq4vd3bn5kfha6jt");
  BOOST_TEST(example["nextCursor"].is_null());
}

BOOST_AUTO_TEST_CASE(EveryOperationSendsAndAnswersARequestIdAndHasADefaultError) {
  json op = Op(Make("GET", "/api-keys/current", {"Current", "api-keys", "", "{}"}));
  BOOST_TEST(Has(Refs(op), "#/components/parameters/RequestId"));
  BOOST_TEST(op["responses"]["200"]["headers"].contains("X-Request-Id"));
  BOOST_TEST(op["responses"]["default"]["$ref"] == "#/components/responses/Error");
  BOOST_TEST(!op["responses"].contains("404"));  // no path parameter
  BOOST_TEST(!op["responses"].contains("409"));  // a read
}

BOOST_AUTO_TEST_CASE(ComponentsNameEveryScopeAndProviderField) {
  json schemas = OpenApiComponents()["schemas"];
  BOOST_TEST(schemas["Scope"]["enum"].size() == scopes::All().size());
  BOOST_TEST(schemas["CredentialsSummary"]["properties"].contains("hasOpenaiApiKey"));
  BOOST_TEST(schemas["PutProviderKeysRequest"]["properties"].contains("anthropicApiKey"));
}

BOOST_AUTO_TEST_CASE(AnExampleIsAssembledFromItsPartsWhenTheSchemaHasNone) {
  json components = {{"Thing", {{"examples", {{{"id", "t1"}}}}}}};
  json schema = {
      {"type", "object"},
      {"properties",
       {{"things", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Thing"}}}}},
        {"state", {{"enum", {"on", "off"}}}},
        {"at", {{"type", "string"}, {"format", "date-time"}}}}}};
  json example = ExampleOf(schema, components);
  BOOST_TEST(example["things"][0]["id"] == "t1");
  BOOST_TEST(example["state"] == "on");
  BOOST_TEST(example["at"] == "2026-01-02T03:04:05Z");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
