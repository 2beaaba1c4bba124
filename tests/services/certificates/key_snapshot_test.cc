#include "services/certificates/key_snapshot.h"

#include <boost/test/unit_test.hpp>

#include "tests/services/certificates/fixture.h"

namespace latchkey {
namespace {

struct Fixture : testing::CertificatesFixture {
  nlohmann::json Jwks(const std::string& acct = "") {
    return nlohmann::json::parse(Snap(acct)->jwks_json);
  }
};

BOOST_FIXTURE_TEST_SUITE(KeySnapshotTest, Fixture)

BOOST_AUTO_TEST_CASE(JwksFollowsRfc7517And7518) {
  auto rsa = Make(Custody::kExported, KeyAlgorithm::kRs256);
  auto ec = Make(Custody::kManaged, KeyAlgorithm::kEs256);
  auto jwks = Jwks();
  BOOST_REQUIRE(jwks["keys"].size() == 2u);
  for (const auto& k : jwks["keys"]) {
    BOOST_TEST(k["use"] == "sig");
    if (k["kty"] == "RSA") {
      BOOST_TEST(k.size() == 6u);  // kty use alg kid n e: nothing private
      BOOST_TEST(k["alg"] == "RS256");
      BOOST_TEST(k["kid"] == rsa.certificate.kid);
      BOOST_TEST(k["e"] == "AQAB");
      JwkPublic jwk{"RSA", k["n"], k["e"]};
      BOOST_TEST(JwkThumbprint(jwk) == rsa.certificate.kid);
    } else {
      BOOST_TEST(k.size() == 7u);  // kty use alg kid crv x y
      BOOST_TEST(k["alg"] == "ES256");
      BOOST_TEST(k["crv"] == "P-256");
      JwkPublic jwk{"EC", "", "", "P-256", k["x"], k["y"]};
      BOOST_TEST(JwkThumbprint(jwk) == ec.certificate.kid);
    }
    BOOST_TEST(!k.contains("d"));
  }
  BOOST_TEST(Snap()->Algorithms() == std::vector<std::string>({"ES256", "RS256"}));
}

BOOST_AUTO_TEST_CASE(EtagChangesWithTheKeySet) {
  std::string empty = Snap()->etag;
  auto c = Make();
  std::string one = Snap()->etag;
  BOOST_TEST(one != empty);
  BOOST_TEST(one.front() == '"');
  BOOST_TEST(one.back() == '"');
  BOOST_TEST(Snap()->etag == one);  // stable while nothing changes
  BOOST_REQUIRE(certs.Revoke(account, c.certificate.id, ctx).ok());
  BOOST_TEST(Snap()->etag == empty);
  BOOST_TEST(Jwks()["keys"].empty());
}

BOOST_AUTO_TEST_CASE(MaxAgeNeverPassesTheNextScheduledChange) {
  Make();
  BOOST_TEST(certs.JwksMaxAge(*Snap()) == 300);
  NewCertificate n;
  n.name = "soon";
  n.algorithm = KeyAlgorithm::kEs256;
  n.expires_at = clock.Now() + std::chrono::seconds(42);
  BOOST_REQUIRE(certs.Create(account, n, ctx).ok());
  BOOST_TEST(certs.JwksMaxAge(*Snap()) == 42);
  clock.Advance(std::chrono::seconds(40));
  BOOST_TEST(certs.JwksMaxAge(*Snap()) == 2);
  clock.Advance(std::chrono::seconds(2));
  BOOST_TEST(Snap()->keys.size() == 1u);  // expired and rebuilt without it
  BOOST_TEST(certs.JwksMaxAge(*Snap()) == 300);
}

BOOST_AUTO_TEST_CASE(CachedSnapshotsAreReusedNotRebuilt) {
  Make();
  auto a = certs.Snapshot(account);
  auto b = certs.Snapshot(account);
  BOOST_TEST(a->get() == b->get());
  clock.Advance(std::chrono::seconds(5));
  auto c = certs.Snapshot(account);
  BOOST_TEST(a->get() == c->get());  // version unchanged: same snapshot
}

// A second service on the same database file stands in for another replica.
BOOST_AUTO_TEST_CASE(OtherReplicasSeeChangesThroughTheVersionCheck) {
  auto c = Make();
  KeyPool pool2{0};
  CertificateService replica(*db, envelope, audit, clock, pool2, testing::TestCertificateOptions());
  auto seen = replica.Snapshot(account);
  BOOST_REQUIRE((*seen)->keys.size() == 1u);

  BOOST_REQUIRE(certs.Revoke(account, c.certificate.id, ctx).ok());
  // The replica may serve the old set for at most version_check_interval.
  BOOST_TEST((*replica.Snapshot(account))->keys.size() == 1u);
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST((*replica.Snapshot(account))->keys.empty());

  auto d = Make();
  auto stale = replica.Snapshot(account);
  BOOST_TEST((*stale)->keys.empty());
  clock.Advance(std::chrono::seconds(1));
  auto fresh = replica.Snapshot(account);
  BOOST_REQUIRE((*fresh)->keys.size() == 1u);
  BOOST_TEST((*fresh)->keys[0].cert.kid == d.certificate.kid);
}

BOOST_AUTO_TEST_CASE(UnknownAccountsAreEmptyAndNotCached) {
  auto snap = certs.Snapshot("acct_doesnotexist");
  BOOST_REQUIRE(snap.ok());
  BOOST_TEST((*snap)->version == 0);
  BOOST_TEST((*snap)->jwks_json == R"({"keys":[]})");
  BOOST_TEST((*snap)->signer_status.code() == StatusCode::kFailedPrecondition);
}

BOOST_AUTO_TEST_CASE(ATamperedSealedKeyDisablesSigningButNotTheJwks) {
  auto c = Make();
  BOOST_REQUIRE(db->Execute("UPDATE certificates SET private_key_sealed = ? WHERE id = ?",
                            {Bytes(60, 7), c.certificate.id})
                    .ok());
  BOOST_REQUIRE(CertificateStore::BumpVersion(*db, account).ok());
  auto snap = Snap();
  BOOST_TEST(snap->keys.size() == 1u);
  BOOST_TEST(!snap->signer.has_value());
  BOOST_TEST(snap->signer_status.code() == StatusCode::kDataLoss);
  BOOST_TEST(tokens.Sign(account, issuer, {}).status().code() == StatusCode::kDataLoss);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
