#include "api/app.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/api/app_fixture.h"

namespace latchkey {
namespace {

using Fixture = testing::AppFixture;

BOOST_FIXTURE_TEST_SUITE(AppTest, Fixture)

BOOST_AUTO_TEST_CASE(UnknownRoutesAndMethodsAreJsonErrors) {
  ExpectError(Call("GET", "/nope"), 404, "NOT_FOUND");
  auto r = Call("PUT", "/healthz");
  ExpectError(r, 405, "METHOD_NOT_ALLOWED");
  BOOST_TEST(r.headers[0].first == "Allow");
  ExpectError(Call("DELETE", "/admin/accounts/%zz"), 400, "BAD_REQUEST");
}

BOOST_AUTO_TEST_CASE(AuthRulesAre401Then403Then404) {
  ExpectError(Call("GET", "/api-keys"), 401, "UNAUTHORIZED");
  ExpectError(Call("GET", "/api-keys", "lk_key_garbage.x"), 401, "UNAUTHORIZED");
  ExpectError(Call("GET", "/admin/accounts", "not-the-admin-key"), 401, "UNAUTHORIZED");
  std::string key = NewAccount("acme");
  ExpectError(Call("GET", "/admin/accounts", key), 401, "UNAUTHORIZED");
  auto limited = Json(Call("POST", "/api-keys", key, R"({"name":"r","scopes":["audit:read"]})"));
  std::string reader = limited["apiKey"];
  ExpectError(Call("GET", "/api-keys", reader), 403, "FORBIDDEN");
  BOOST_TEST(Call("GET", "/audit-events", reader).status == 200);
  std::string other = NewAccount("other");
  ExpectError(Call("DELETE", "/api-keys/" + std::string(limited["id"]), other), 404, "NOT_FOUND");
  BOOST_TEST(Call("DELETE", "/api-keys/" + std::string(limited["id"]), key).status == 200);
  ExpectError(Call("GET", "/audit-events", reader), 401, "UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(BadBodiesAre400NamingTheFieldAndChangeNothing) {
  std::string key = NewAccount("acme");
  int64_t before = Count("SELECT COUNT(*) FROM api_keys");
  for (const char* body : {"", "{", "[]", R"({"name":1,"scopes":["proxy"]})",
                           R"({"name":"x","scopes":"proxy"})", R"({"name":"x","scopes":["proxy"],"extra":1})",
                           R"({"name":"x","scopes":["proxy"],"expiresAt":"soon"})"}) {
    ExpectError(Call("POST", "/api-keys", key, body), 400, "BAD_REQUEST");
  }
  auto r = Call("POST", "/api-keys", key, R"({"name":1,"scopes":["proxy"]})");
  BOOST_TEST(Json(r)["error"] == "name must be a string");
  BOOST_TEST(Count("SELECT COUNT(*) FROM api_keys") == before);
  ExpectError(Call("GET", "/audit-events?limit=abc", key), 400, "BAD_REQUEST");
  ExpectError(Call("GET", "/audit-events?since=yesterday", key), 400, "BAD_REQUEST");
}

BOOST_AUTO_TEST_CASE(InternalFailuresAreGeneric500s) {
  std::string key = NewAccount("acme");
  BOOST_REQUIRE(db->Execute("DROP TABLE audit_events", {}).ok());
  auto r = Call("GET", "/audit-events", key);
  ExpectError(r, 500, "INTERNAL");
  BOOST_TEST(Json(r)["error"] == "internal error");
  BOOST_TEST(r.body.find("audit_events") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(OpenApiDocumentsEveryRoute) {
  auto doc = Json(Call("GET", "/openapi.json"));
  BOOST_TEST(doc["openapi"] == "3.1.0");
  BOOST_TEST(doc["servers"][0]["url"] == "http://lk.test");
  for (const Route& route : app.router().routes()) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    BOOST_TEST(doc["paths"].contains(route.pattern), route.pattern);
    BOOST_TEST(doc["paths"][route.pattern].contains(method), route.method << " " << route.pattern);
    BOOST_TEST(!route.doc.summary.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
