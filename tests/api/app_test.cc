#include "api/app.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/services/certificates/fixture.h"

namespace latchkey {
namespace {

struct Fixture : testing::CertificatesFixture {
  std::FILE* log_sink = std::tmpfile();
  Logger logger{log_sink};
  std::optional<std::string> admin_token;
  AdminKey admin = *AdminKey::Initialize(*db, std::nullopt, &admin_token);
  App app{AppServices{*db, accounts, api_keys, audit, admin, logger, certs, tokens, pool},
          AppOptions{1 << 20, "http://lk.test"}};
  ~Fixture() { std::fclose(log_sink); }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& token = "", const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string query = path.substr(q + 1);
      size_t eq = query.find('=');
      r.query.emplace_back(query.substr(0, eq), query.substr(eq + 1));
    }
    if (!token.empty()) r.headers["Authorization"] = "Bearer " + token;
    r.body = body;
    r.request_id = "req_t";
    r.client_address = "127.0.0.1";
    return app.Handle(r);
  }
  nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body); }
  void ExpectError(const HttpResponse& r, int status, const std::string& code) {
    BOOST_TEST(r.status == status);
    auto j = Json(r);
    BOOST_TEST(j.size() == 3u);
    BOOST_TEST(j["status"] == status);
    BOOST_TEST(j["code"] == code);
    BOOST_TEST(j["error"].is_string());
  }
  std::string NewAccount(const std::string& name, std::string* id = nullptr) {
    auto r = Call("POST", "/admin/accounts", *admin_token, R"({"name":")" + name + "\"}");
    BOOST_REQUIRE(r.status == 201);
    if (id) *id = Json(r)["id"];
    return Json(r)["apiKey"];
  }
};

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
