#include "services/certificates/tokens.h"

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <jwt/jwt.hpp>

#include "services/certificates/jws.h"
#include "tests/services/certificates/fixture.h"

namespace latchkey {
namespace {

std::string B64(const std::string& s) { return Base64UrlEncode(s); }

struct TokensFixture : testing::CertificatesFixture {
  // A token with any header and payload, signed by `key` or not at all.
  std::string Forge(const std::string& header, const nlohmann::json& payload,
                    const AsymmetricKey* key = nullptr) {
    std::string input = B64(header) + "." + B64(payload.dump());
    std::string sig = key ? B64(std::string(AsView(*key->Sign(input)))) : B64("sig");
    return input + "." + sig;
  }
  nlohmann::json GoodClaims() {
    int64_t now = ToUnix(clock.Now());
    return {{"iss", issuer}, {"iat", now}, {"nbf", now}, {"exp", now + 600}};
  }
};

BOOST_FIXTURE_TEST_SUITE(TokensTest, TokensFixture)

BOOST_AUTO_TEST_CASE(SignsWithServerClaimsAndVerifies) {
  auto cert = Make(Custody::kManaged, KeyAlgorithm::kRs256);
  TokenRequest r;
  r.claims = {{"role", "agent"}, {"tenant", {{"id", 7}}}};
  r.subject = "agent-1";
  r.audience = "billing";
  r.expires_in = 120;
  SignedToken t = Sign(r);
  BOOST_TEST(t.kid == cert.certificate.kid);
  BOOST_TEST(ToUnix(t.expires_at) == ToUnix(clock.Now()) + 120);

  auto decoded = DecodeJws(t.token);
  BOOST_REQUIRE(decoded.ok());
  BOOST_TEST(decoded->header == nlohmann::json({{"alg", "RS256"}, {"kid", t.kid}, {"typ", "JWT"}}));
  const auto& c = decoded->payload;
  BOOST_TEST(c["iss"] == issuer);
  BOOST_TEST(c["sub"] == "agent-1");
  BOOST_TEST(c["aud"] == "billing");
  BOOST_TEST(c["iat"] == ToUnix(clock.Now()));
  BOOST_TEST(c["nbf"] == ToUnix(clock.Now()));
  BOOST_TEST(c["exp"] == ToUnix(clock.Now()) + 120);
  BOOST_TEST(c["jti"] == t.jti);
  BOOST_TEST(c["tenant"]["id"] == 7);

  auto v = Check(t.token, "billing");
  BOOST_TEST(v.valid);
  BOOST_TEST(v.kid == t.kid);
  BOOST_TEST(v.claims["role"] == "agent");
  BOOST_TEST(Sign().jti != Sign().jti);
}

BOOST_AUTO_TEST_CASE(RefusesServerClaimsAndBadRequests) {
  Make();
  for (const char* name : {"iss", "iat", "nbf", "exp", "jti"}) {
    TokenRequest r;
    r.claims = {{name, 1}};
    auto t = tokens.Sign(account, issuer, r);
    BOOST_TEST(t.status().code() == StatusCode::kInvalidArgument);
    BOOST_TEST(t.status().message() == std::string("claims.") + name + " is set by the server");
  }
  auto status = [&](TokenRequest r) { return tokens.Sign(account, issuer, r).status().code(); };
  TokenRequest r;
  r.expires_in = 0;
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r.expires_in = 3601;
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r = {};
  r.audience = "a";
  r.claims = {{"aud", "b"}};
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r = {};
  r.audience = nlohmann::json::array();
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r.audience = nlohmann::json{1, 2};
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r = {};
  r.claims = {{"big", std::string(TokenService::kMaxClaimsBytes, 'x')}};
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r = {};
  r.claims = nlohmann::json::array();
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
  r = {};
  r.claims = {{"name", "bad \xff utf-8"}};  // dump() would throw
  BOOST_TEST(status(r) == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(NeedsAManagedKeyThatCanSign) {
  auto t = tokens.Sign(account, issuer, {});
  BOOST_TEST(t.status().code() == StatusCode::kFailedPrecondition);
  Make(Custody::kExported);  // exported keys never sign here
  BOOST_TEST(tokens.Sign(account, issuer, {}).status().code() == StatusCode::kFailedPrecondition);
  auto managed = Make();
  BOOST_TEST(tokens.Sign(account, issuer, {}).ok());
  BOOST_REQUIRE(certs.Revoke(account, managed.certificate.id, ctx).ok());
  BOOST_TEST(tokens.Sign(account, issuer, {}).status().code() == StatusCode::kFailedPrecondition);
}

BOOST_AUTO_TEST_CASE(TokensNeverOutliveTheirKey) {
  NewCertificate n;
  n.name = "short";
  n.algorithm = KeyAlgorithm::kEs256;
  n.custody = Custody::kManaged;
  n.expires_at = clock.Now() + std::chrono::seconds(100);
  BOOST_REQUIRE(certs.Create(account, n, ctx).ok());
  SignedToken t = Sign();
  BOOST_TEST(ToUnix(t.expires_at) == ToUnix(*n.expires_at));
  clock.Advance(std::chrono::seconds(100));
  BOOST_TEST(!Check(t.token).valid);
  BOOST_TEST(tokens.Sign(account, issuer, {}).status().code() == StatusCode::kFailedPrecondition);
}

BOOST_AUTO_TEST_CASE(RefusesForgedAndInvalidTokens) {
  auto managed = Make(Custody::kManaged, KeyAlgorithm::kRs256);
  const AsymmetricKey* key = &Snap()->signer->key;
  const std::string kid = managed.certificate.kid;
  auto reason = [&](const std::string& token) {
    auto v = Check(token);
    BOOST_TEST(!v.valid);
    return v.reason;
  };
  std::string h = R"({"alg":"RS256","kid":")" + kid + "\"}";
  BOOST_TEST(Check(Forge(h, GoodClaims(), key)).valid);  // the control

  BOOST_TEST(reason(Forge(R"({"alg":"none","kid":")" + kid + "\"}", GoodClaims())) ==
             "algorithm none is not allowed");
  // HS256 keyed with the public PEM: the classic confusion attack.
  std::string hs_input =
      B64(R"({"alg":"HS256","kid":")" + kid + "\"}") + "." + B64(GoodClaims().dump());
  std::string hs =
      hs_input + "." +
      B64(std::string(AsView(HmacSha256(managed.certificate.public_key_pem, hs_input))));
  BOOST_TEST(reason(hs) == "algorithm HS256 is not allowed");
  BOOST_TEST(reason(Forge(R"({"alg":"ES256","kid":")" + kid + "\"}", GoodClaims(), key)) ==
             "algorithm does not match the key");
  BOOST_TEST(reason(Forge(R"({"alg":"RS256"})", GoodClaims(), key)) == "token has no kid");
  BOOST_TEST(reason(Forge(R"({"kid":")" + kid + "\"}", GoodClaims(), key)) == "token has no alg");
  BOOST_TEST(reason(Forge(R"({"alg":"RS256","kid":"nope"})", GoodClaims(), key)) ==
             "unknown or revoked key");
  BOOST_TEST(reason(Forge(R"({"alg":"RS256","kid":")" + kid + R"(","crit":["exp"]})", GoodClaims(),
                          key)) == "unsupported critical header parameters");
  BOOST_TEST(reason(Forge(h, GoodClaims())) == "invalid signature");

  // Same header and signature, altered payload.
  std::string good = Forge(h, GoodClaims(), key);
  nlohmann::json altered = GoodClaims();
  altered["admin"] = true;
  std::string tampered =
      good.substr(0, good.find('.')) + "." + B64(altered.dump()) + good.substr(good.rfind('.'));
  BOOST_TEST(reason(tampered) == "invalid signature");

  auto claims = GoodClaims();
  claims.erase("exp");
  BOOST_TEST(reason(Forge(h, claims, key)) == "token has no exp claim");
  claims = GoodClaims();
  claims["exp"] = ToUnix(clock.Now());
  BOOST_TEST(reason(Forge(h, claims, key)) == "token expired");
  claims = GoodClaims();
  claims["nbf"] = ToUnix(clock.Now()) + 5;
  BOOST_TEST(reason(Forge(h, claims, key)) == "token not yet valid");
  claims = GoodClaims();
  claims["iss"] = "https://evil.test";
  BOOST_TEST(reason(Forge(h, claims, key)) == "wrong issuer");
  claims = GoodClaims();
  claims["aud"] = "billing";
  BOOST_TEST(reason(Forge(h, claims, key)) == "token has an audience but none was expected");
  BOOST_TEST(Check(Forge(h, claims, key), "billing").valid);
  BOOST_TEST(!Check(Forge(h, claims, key), "payroll").valid);
  claims["aud"] = nlohmann::json{"payroll", "billing"};
  BOOST_TEST(Check(Forge(h, claims, key), "billing").valid);
  BOOST_TEST(reason("garbage") == "malformed token");
}

BOOST_AUTO_TEST_CASE(OnlyThisAccountsKeysVerify) {
  Make();
  Make(Custody::kManaged, KeyAlgorithm::kEs256, other);
  auto theirs = tokens.Sign(other, "https://lk.test/accounts/" + other, {});
  BOOST_REQUIRE(theirs.ok());
  auto v = Check(theirs->token);
  BOOST_TEST(!v.valid);
  BOOST_TEST(v.reason == "unknown or revoked key");
}

BOOST_AUTO_TEST_CASE(RevokedKeysStopVerifyingAtOnce) {
  auto managed = Make();
  SignedToken t = Sign();
  BOOST_TEST(Check(t.token).valid);
  BOOST_REQUIRE(certs.Revoke(account, managed.certificate.id, ctx).ok());
  BOOST_TEST(Check(t.token).reason == "unknown or revoked key");
}

// A second service on the same database stands in for another replica: a
// revocation there stops this replica signing and verifying with the key
// within version_check_interval (1 s).
BOOST_AUTO_TEST_CASE(AnotherReplicasRevocationStopsSigningWithinTheCheckInterval) {
  auto managed = Make();
  SignedToken t = Sign();
  KeyPool pool2{0};
  CertificateService replica(*db, envelope, audit, clock, pool2, testing::TestCertificateOptions());
  BOOST_REQUIRE(replica.Revoke(account, managed.certificate.id, ctx).ok());
  clock.Advance(std::chrono::seconds(1));
  auto refused = tokens.Sign(account, issuer, {});
  BOOST_TEST((refused.status().code() == StatusCode::kFailedPrecondition));
  BOOST_TEST(Check(t.token).reason == "unknown or revoked key");
}

// cpp-jwt is the independent implementation: it parses PEM on every call,
// we sign and verify with cached EVP keys. Each must accept the other's
// tokens. cpp-jwt checks exp against the system clock, so run at real time.
BOOST_AUTO_TEST_CASE(CrossChecksWithCppJwt) {
  clock.Set(std::time(nullptr));
  for (KeyAlgorithm alg : {KeyAlgorithm::kRs256, KeyAlgorithm::kEs256}) {
    std::string name(AlgorithmName(alg));
    // Ours -> cpp-jwt, with exactly one allowed algorithm.
    auto managed = Make(Custody::kManaged, alg);
    SignedToken t = Sign();
    std::error_code ec;
    auto decoded = jwt::decode(t.token, jwt::params::algorithms({name}), ec,
                               jwt::params::secret(managed.certificate.public_key_pem),
                               jwt::params::verify(true), jwt::params::issuer(issuer));
    BOOST_TEST(!ec, name << ": " << ec.message());
    BOOST_TEST(decoded.header().create_json_obj()["kid"] == t.kid);
    BOOST_TEST(decoded.payload().get_claim_value<std::string>("jti") == t.jti);

    // cpp-jwt -> ours, signed with an exported key's private PEM.
    auto exported = Make(Custody::kExported, alg);
    jwt::jwt_object obj{jwt::params::algorithm(name),
                        jwt::params::secret(*exported.private_key_pem)};
    obj.header().add_header("kid", exported.certificate.kid);
    obj.add_claim("iss", issuer)
        .add_claim("sub", "cpp-jwt")
        .add_claim("exp", std::time(nullptr) + 60);
    auto v = Check(obj.signature());
    BOOST_TEST(v.valid, name << ": " << v.reason);
    BOOST_TEST(v.claims["sub"] == "cpp-jwt");
    BOOST_REQUIRE(certs.Revoke(account, exported.certificate.id, ctx).ok());
    BOOST_REQUIRE(certs.Revoke(account, managed.certificate.id, ctx).ok());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
