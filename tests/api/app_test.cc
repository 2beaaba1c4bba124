#include "api/app.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/worker_pool.h"
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

// With a worker pool, a request stays on the caller's (the reactor's)
// thread only when its route answers from memory and its key is cached.
BOOST_AUTO_TEST_CASE(WithWorkersOnlyWhatAnswersFromMemoryStaysOnTheCallersThread) {
  WorkerPool workers(1, 8);
  AppServices services = Services();
  services.workers = &workers;
  App threaded(services, AppOptions{1 << 20, "http://lk.test"});
  std::string key = NewAccount("acme");
  BOOST_TEST(!CallOn(threaded, "GET", "/healthz").deferred);
  BOOST_TEST(CallOn(threaded, "GET", "/api-keys", key).deferred);       // a blocking route
  BOOST_TEST(CallOn(threaded, "POST", "/tokens", key, "{}").deferred);  // its key is not cached
  BOOST_TEST(Call("POST", "/certificates", key,
                  R"({"name":"m","algorithm":"ES256","custody":"managed"})")
                 .status == 201);  // and now its key is cached
  auto signed_here = CallOn(threaded, "POST", "/tokens", key, "{}");
  BOOST_TEST(!signed_here.deferred);
  BOOST_TEST(signed_here.status == 200);
  ExpectError(CallOn(threaded, "POST", "/tokens", "lk_key_garbage.x", "{}"), 401, "UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(BadBodiesAre400NamingTheFieldAndChangeNothing) {
  std::string key = NewAccount("acme");
  int64_t before = Count("SELECT COUNT(*) FROM api_keys");
  for (const char* body :
       {"", "{", "[]", R"({"name":1,"scopes":["proxy"]})", R"({"name":"x","scopes":"proxy"})",
        R"({"name":"x","scopes":["proxy"],"extra":1})",
        R"({"name":"x","scopes":["proxy"],"expiresAt":"soon"})"}) {
    ExpectError(Call("POST", "/api-keys", key, body), 400, "BAD_REQUEST");
  }
  auto r = Call("POST", "/api-keys", key, R"({"name":1,"scopes":["proxy"]})");
  BOOST_TEST(Json(r)["error"] == "name must be a string");
  BOOST_TEST(Count("SELECT COUNT(*) FROM api_keys") == before);
  ExpectError(Call("GET", "/audit-events?limit=abc", key), 400, "BAD_REQUEST");
  ExpectError(Call("GET", "/audit-events?since=yesterday", key), 400, "BAD_REQUEST");
}

// Regression: 60,000 nested arrays in the claims crashed the server with a
// stack overflow in the recursive copy and dump() of the claims.
BOOST_AUTO_TEST_CASE(DeeplyNestedBodiesAre400sOnEveryJsonRoute) {
  std::string key = NewAccount("acme");
  std::string deep = std::string(60000, '[') + std::string(60000, ']');
  std::string deep_object = R"({"a":)" + std::string(200000, '{');
  for (int i = 0; i < 200000; ++i) deep_object += "}";
  struct Case {
    const char* method;
    const char* path;
    std::string body;
  };
  std::vector<Case> cases = {
      {"POST", "/tokens", R"({"claims":{"a":)" + deep + "}}"},
      {"POST", "/tokens", R"({"audience":)" + deep + "}"},
      {"POST", "/tokens/verify", R"({"token":)" + deep + "}"},
      {"POST", "/api-keys", deep},
      {"POST", "/certificates", deep_object},
      {"PUT", "/credentials", R"({"openaiApiKey":)" + deep + "}"},
      {"POST", "/secrets", deep},
      {"POST", "/auth/sessions", deep},
  };
  int64_t events = Count("SELECT COUNT(*) FROM audit_events");
  for (const auto& c : cases) {
    auto r = Call(c.method, c.path, key, c.body);
    ExpectError(r, 400, "BAD_REQUEST");
    BOOST_TEST(std::string(Json(r)["error"]).find("deeper than 64 levels") != std::string::npos,
               c.method << " " << c.path);
  }
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events") == events);
  // 64 levels are fine.
  std::string ok = std::string(62, '[') + std::string(62, ']');
  BOOST_TEST(Call("POST", "/tokens", key, R"({"claims":{"a":)" + ok + "}}").status != 400);
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

BOOST_AUTO_TEST_CASE(TheApiReferenceNamesEveryRouteAndNoOther) {
  // docs/api.md is written by hand; this keeps it to the routes that exist.
  std::ifstream in(std::string(LATCHKEY_SOURCE_DIR) + "/docs/api.md");
  BOOST_REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string docs = text.str();
  std::set<std::string> routes;
  for (const Route& r : app.router().routes()) {
    routes.insert(r.method + " " + r.pattern);
    if (r.pattern == "/v1/proxy" || r.pattern.starts_with("/proxy/")) {
      // Documented as one line for all methods.
      BOOST_TEST(docs.find("`OPTIONS " + r.pattern + "`") != std::string::npos, r.pattern);
      continue;
    }
    BOOST_TEST_INFO("docs/api.md lacks `" << r.method << " " << r.pattern << "`");
    BOOST_TEST(docs.find("`" + r.method + " " + r.pattern + "`") != std::string::npos);
  }
  // Every `METHOD /path` the reference documents is a route. (A plain scan:
  // std::regex trips GCC 12's maybe-uninitialized under the sanitizers.)
  const std::set<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  for (size_t at = docs.find('`'); at != std::string::npos; at = docs.find('`', at + 1)) {
    size_t end = docs.find('`', at + 1);
    if (end == std::string::npos) break;
    std::string span = docs.substr(at + 1, end - at - 1);
    at = end;
    size_t space = span.find(' ');
    if (space == std::string::npos || !methods.count(span.substr(0, space))) continue;
    std::string path = span.substr(space + 1);
    if (path.empty() || path[0] != '/') continue;
    std::string route = span.substr(0, space) + " " + path.substr(0, path.find_first_of("? "));
    BOOST_TEST_INFO("docs/api.md documents `" << route << "`, which is not a route");
    BOOST_TEST(routes.count(route) == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
