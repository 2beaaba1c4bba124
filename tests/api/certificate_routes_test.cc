// The certificate, token and public key routes through App::Handle.
#include <boost/test/unit_test.hpp>

#include "tests/api/app_fixture.h"

namespace latchkey {
namespace {

struct Fixture : testing::AppFixture {
  std::string id;
  std::string key = NewAccount("acme", &id);
  nlohmann::json Create(const std::string& body, const std::string& api_key = "") {
    auto r = Call("POST", "/certificates", api_key.empty() ? key : api_key, body);
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return Json(r);
  }
  std::string Jwks(const std::string& acct) {
    return "/accounts/" + acct + "/.well-known/jwks.json";
  }
};

BOOST_FIXTURE_TEST_SUITE(CertificateRoutesTest, Fixture)

BOOST_AUTO_TEST_CASE(CreateReturnsTheObjectAndThePrivateKeyOnce) {
  auto c = Create(R"({"name":"web","algorithm":"ES256","metadata":{"env":"prod"}})");
  for (const char* field :
       {"id", "account", "kid", "name", "publicKey", "algorithm", "custody", "status", "expiresAt",
        "metadata", "createdAt", "updatedAt", "activatesAt", "retiresAt", "privateKey"}) {
    BOOST_TEST(c.contains(field), field);
  }
  BOOST_TEST(c["account"] == id);
  BOOST_TEST(c["custody"] == "exported");
  BOOST_TEST(c["status"] == "active");
  BOOST_TEST(std::string(c["privateKey"]).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);
  auto read = Json(Call("GET", "/certificates/" + std::string(c["id"]), key));
  BOOST_TEST(!read.contains("privateKey"));
  BOOST_TEST(read["kid"] == c["kid"]);
  auto list = Json(Call("GET", "/certificates?status=active&metadata.env=prod", key));
  BOOST_TEST(list["data"].size() == 1u);
  BOOST_TEST(!list["data"][0].contains("privateKey"));
  BOOST_TEST(Json(Call("GET", "/certificates?metadata.env=dev", key))["data"].empty());
  clock.Advance(std::chrono::seconds(1));
  auto managed = Create(R"({"name":"m","algorithm":"ES256","custody":"managed"})");
  BOOST_TEST(!managed.contains("privateKey"));
  BOOST_TEST(Json(Call("GET", "/certificates/active", key))["id"] == managed["id"]);
}

BOOST_AUTO_TEST_CASE(BadInputIs400AndCreatesNothing) {
  for (const char* body : {
           R"({"name":"x","algorithm":"HS256"})",
           R"({"name":"x","algorithm":"none"})",
           R"({"name":"x","keySize":1024})",
           R"({"name":"x","keySize":"2048"})",
           R"({"name":"x","keySize":2048.5})",
           R"({"name":"x","keySize":99999999999999999999})",
           R"({"name":"x","algorithm":"ES256","keySize":2048})",
           R"({"name":"x","expiresAt":"tomorrow"})",
           R"({"name":"x","expiresAt":"2001-01-01T00:00:00Z"})",
           R"({"name":"x","custody":"escrow"})",
           R"({"name":"x","metadata":{"k":1}})",
           R"({"name":"x","metadata":"k=v"})",
           R"({"name":"x","privateKey":"mine"})",
           R"({"algorithm":"RS256"})",
           R"({"name":""})",
       }) {
    ExpectError(Call("POST", "/certificates", key, body), 400, "BAD_REQUEST");
  }
  std::string huge = R"({"name":"x","metadata":{)";
  for (int i = 0; i < 100; ++i)
    huge += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  ExpectError(Call("POST", "/certificates", key, huge + "}}"), 400, "BAD_REQUEST");
  ExpectError(Call("GET", "/certificates?status=gone", key), 400, "BAD_REQUEST");
  ExpectError(Call("GET", "/certificates?sort=name", key), 400, "BAD_REQUEST");
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificates") == 0);
}

BOOST_AUTO_TEST_CASE(ScopesAreEnforced) {
  auto reader = Json(
      Call("POST", "/api-keys", key, R"({"name":"r","scopes":["certificates:read"]})"))["apiKey"];
  ExpectError(Call("POST", "/certificates", reader, R"({"name":"x"})"), 403, "FORBIDDEN");
  ExpectError(Call("POST", "/tokens", reader, "{}"), 403, "FORBIDDEN");
  BOOST_TEST(Call("GET", "/certificates", reader).status == 200);
  ExpectError(Call("GET", "/certificates"), 401, "UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(RevokeAndDeleteRules) {
  auto c = Create(R"({"name":"x","algorithm":"ES256"})");
  std::string path = "/certificates/" + std::string(c["id"]);
  ExpectError(Call("DELETE", path, key), 400, "BAD_REQUEST");
  auto revoked = Call("POST", path + "/revoke", key);
  BOOST_TEST(revoked.status == 200);
  BOOST_TEST(Json(revoked)["status"] == "revoked");
  ExpectError(Call("POST", path + "/revoke", key), 409, "CONFLICT");
  BOOST_TEST(Call("DELETE", path, key).status == 200);
  ExpectError(Call("GET", path, key), 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(AnotherAccountGets404AndNeverSeesTheKeys) {
  std::string other_id;
  std::string other_key = NewAccount("other", &other_id);
  auto c = Create(R"({"name":"x","algorithm":"ES256","custody":"managed"})");
  std::string path = "/certificates/" + std::string(c["id"]);
  ExpectError(Call("GET", path, other_key), 404, "NOT_FOUND");
  ExpectError(Call("POST", path + "/revoke", other_key), 404, "NOT_FOUND");
  ExpectError(Call("DELETE", path, other_key), 404, "NOT_FOUND");
  BOOST_TEST(Json(Call("GET", "/certificates", other_key))["data"].empty());
  // B cannot sign with A's managed key.
  ExpectError(Call("POST", "/tokens", other_key, "{}"), 409, "CONFLICT");
  Create(R"({"name":"y","algorithm":"ES256"})", other_key);
  auto theirs = Json(Call("GET", Jwks(other_id)));
  BOOST_REQUIRE(theirs["keys"].size() == 1u);
  BOOST_TEST(theirs["keys"][0]["kid"] != c["kid"]);
  BOOST_TEST(Call("GET", path, key).status == 200);
}

BOOST_AUTO_TEST_CASE(JwksIsCacheableWithAStrongEtag) {
  auto c = Create(R"({"name":"x","algorithm":"ES256"})");
  auto r = Call("GET", Jwks(id));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.content_type == "application/jwk-set+json");
  BOOST_TEST(*Header(r, "Cache-Control") == "public, max-age=300");
  std::string etag = *Header(r, "ETag");
  BOOST_TEST(etag.rfind("W/", 0) == std::string::npos);
  BOOST_TEST(Json(r)["keys"][0]["kid"] == c["kid"]);

  auto not_modified = Call("GET", Jwks(id), "", "", {{"If-None-Match", etag}});
  BOOST_TEST(not_modified.status == 304);
  BOOST_TEST(not_modified.body.empty());
  BOOST_TEST(*Header(not_modified, "ETag") == etag);
  BOOST_TEST(Call("GET", Jwks(id), "", "", {{"If-None-Match", "\"x\", W/" + etag}}).status == 304);
  BOOST_TEST(Call("GET", Jwks(id), "", "", {{"If-None-Match", "\"other\""}}).status == 200);

  BOOST_TEST(Call("POST", "/certificates/" + std::string(c["id"]) + "/revoke", key).status == 200);
  auto after = Call("GET", Jwks(id), "", "", {{"If-None-Match", etag}});
  BOOST_TEST(after.status == 200);  // the revoked key is gone at once
  BOOST_TEST(Json(after)["keys"].empty());

  ExpectError(Call("GET", Jwks("acct_aaaaaaaaaaaaaaaaaaaa")), 404, "NOT_FOUND");
  ExpectError(Call("GET", Jwks("not-an-id")), 404, "NOT_FOUND");
  std::string empty_id;
  NewAccount("empty", &empty_id);
  BOOST_TEST(Json(Call("GET", Jwks(empty_id)))["keys"].empty());
}

BOOST_AUTO_TEST_CASE(DiscoveryAndPublicKeyRoutes) {
  auto c = Create(R"({"name":"x"})");
  auto doc = Json(Call("GET", "/accounts/" + id + "/.well-known/openid-configuration"));
  BOOST_TEST(doc["issuer"] == "http://lk.test/accounts/" + id);
  BOOST_TEST(doc["jwks_uri"] == "http://lk.test/accounts/" + id + "/.well-known/jwks.json");
  BOOST_TEST(doc["id_token_signing_alg_values_supported"] == nlohmann::json({"RS256"}));
  auto pub = Json(Call("GET", "/certificates/public/" + std::string(c["kid"])));
  BOOST_TEST(
      pub ==
      nlohmann::json({{"kid", c["kid"]}, {"publicKey", c["publicKey"]}, {"algorithm", "RS256"}}));
  Call("POST", "/certificates/" + std::string(c["id"]) + "/revoke", key);
  ExpectError(Call("GET", "/certificates/public/" + std::string(c["kid"])), 404, "NOT_FOUND");
  ExpectError(Call("GET", "/certificates/public/unknown"), 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(TokensSignAndVerifyOverHttp) {
  ExpectError(Call("POST", "/tokens", key, "{}"), 409, "CONFLICT");  // no managed key yet
  Create(R"({"name":"m","algorithm":"ES256","custody":"managed"})");
  auto signed_r =
      Call("POST", "/tokens", key,
           R"({"claims":{"scope":"read"},"audience":"api","subject":"agent","expiresIn":60})");
  BOOST_REQUIRE(signed_r.status == 200);
  auto t = Json(signed_r);
  BOOST_TEST(t["expiresAt"] == FormatIso8601(clock.Now() + std::chrono::seconds(60)));
  auto v = Json(Call("POST", "/tokens/verify", key,
                     R"({"token":")" + std::string(t["token"]) + R"(","audience":"api"})"));
  BOOST_TEST(v["valid"] == true);
  BOOST_TEST(v["claims"]["scope"] == "read");
  BOOST_TEST(v["claims"]["iss"] == "http://lk.test/accounts/" + id);
  auto bad = Json(Call("POST", "/tokens/verify", key, R"({"token":"a.b.c"})"));
  BOOST_TEST(bad == nlohmann::json({{"valid", false}, {"reason", "malformed token"}}));
  for (const char* body : {R"({"claims":{"exp":1}})", R"({"claims":[1]})", R"({"expiresIn":0})",
                           R"({"expiresIn":999999})", R"({"expiresIn":"60"})", R"({"audience":5})",
                           R"({"unknown":1})"}) {
    ExpectError(Call("POST", "/tokens", key, body), 400, "BAD_REQUEST");
  }
  ExpectError(Call("POST", "/tokens/verify", key, "{}"), 400, "BAD_REQUEST");
}

BOOST_AUTO_TEST_CASE(RotationPolicyRoutes) {
  ExpectError(Call("GET", "/certificates/rotation-policy", key), 404, "NOT_FOUND");
  ExpectError(
      Call("PUT", "/certificates/rotation-policy", key, R"({"rotationPeriod":86400,"overlap":60})"),
      400, "BAD_REQUEST");
  auto unitless = Call("PUT", "/certificates/rotation-policy", key,
                       R"({"rotationPeriod":"90d","overlap":3600})");
  ExpectError(unitless, 400, "BAD_REQUEST");
  BOOST_TEST(std::string(Json(unitless)["error"])
                 .rfind("rotationPeriod must be an integer number of seconds between 1 and ", 0) ==
             0u);
  ExpectError(Call("PUT", "/certificates/rotation-policy", key, R"({"overlap":3600})"), 400,
              "BAD_REQUEST");
  auto put = Call("PUT", "/certificates/rotation-policy", key,
                  R"({"rotationPeriod":86400,"overlap":3600,"algorithm":"ES256"})");
  BOOST_REQUIRE(put.status == 200);
  BOOST_TEST(Json(put)["algorithm"] == "ES256");
  BOOST_TEST(Json(Call("GET", "/certificates/rotation-policy", key))["overlap"] == 3600);
  auto rotated = Call("POST", "/certificates/rotate", key);
  BOOST_REQUIRE(rotated.status == 201);
  BOOST_TEST(Json(rotated)["activatesAt"] ==
             FormatIso8601(clock.Now() + std::chrono::seconds(300)));
  BOOST_TEST(Json(Call("GET", Jwks(id)))["keys"].size() == 2u);
  ExpectError(Call("POST", "/certificates/rotate", key, R"({"now":true})"), 400, "BAD_REQUEST");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
