#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/services/certificates/fixture.h"

namespace latchkey {
namespace {

using std::chrono::seconds;

constexpr int64_t kDay = 86400;

struct Fixture : testing::CertificatesFixture {
  RotationPolicy Policy(int64_t period = kDay, int64_t overlap = 3600) {
    RotationPolicyInput in;
    in.rotation_period = period;
    in.overlap = overlap;
    in.algorithm = KeyAlgorithm::kEs256;
    auto p = certs.PutPolicy(account, in, ctx);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    return *p;
  }
  int64_t Count(const std::string& action) {
    return CertificatesFixture::Count("SELECT COUNT(*) FROM audit_events WHERE action = ?",
                                      {action});
  }
};

BOOST_FIXTURE_TEST_SUITE(RotationTest, Fixture)

BOOST_AUTO_TEST_CASE(ExpiringCertificatesAreAnnouncedSevenDaysAndOneDayAhead) {
  NewCertificate n;
  n.name = "short";
  n.algorithm = KeyAlgorithm::kEs256;
  n.key_size = 256;
  n.expires_at = clock.Now() + std::chrono::hours(24 * 8);
  auto created = certs.Create(account, n, ctx);
  BOOST_REQUIRE(created.ok());
  auto notices = [&] { return Count("certificate.expiring"); };
  BOOST_TEST(certs.RunMaintenance()->expiring == 0);  // 8 days left
  clock.Advance(std::chrono::hours(24) + std::chrono::seconds(1));
  auto first = certs.RunMaintenance();
  BOOST_REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  BOOST_TEST(first->expiring == 1);                   // under 7 days
  BOOST_TEST(certs.RunMaintenance()->expiring == 0);  // once
  clock.Advance(std::chrono::hours(24 * 6));
  BOOST_TEST(certs.RunMaintenance()->expiring == 1);  // under 1 day
  BOOST_TEST(certs.RunMaintenance()->expiring == 0);
  BOOST_TEST(notices() == 2);
  auto days = *db->Query(
      "SELECT details FROM audit_events WHERE action = 'certificate.expiring' ORDER BY seq");
  BOOST_TEST(days[0].Text(0).find("\"days\":\"7\"") != std::string::npos);
  BOOST_TEST(days[1].Text(0).find("\"days\":\"1\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(PolicyCreatesTheFirstKeyAndSchedulesTheNext) {
  RotationPolicy p = Policy();
  BOOST_TEST(Snap()->signer.has_value());
  BOOST_TEST(Snap()->keys.size() == 1u);
  BOOST_TEST(ToUnix(p.next_rotation_at) == ToUnix(clock.Now()) + kDay - 300);
  auto read = certs.GetPolicy(account);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(read->overlap == 3600);
  BOOST_TEST(certs.GetPolicy(other).status().code() == StatusCode::kNotFound);
  // A second PUT keeps the existing signer.
  Policy(2 * kDay);
  BOOST_TEST(Snap()->keys.size() == 1u);
}

BOOST_AUTO_TEST_CASE(RefusesPoliciesThatCouldStrandTokens) {
  auto put = [&](int64_t period, int64_t overlap, int size = 2048) {
    RotationPolicyInput in{period, overlap, KeyAlgorithm::kRs256, size};
    return certs.PutPolicy(account, in, ctx).status().code();
  };
  BOOST_TEST(put(kDay, 3599) == StatusCode::kInvalidArgument);  // overlap < longest token
  BOOST_TEST(put(599, 3600) == StatusCode::kInvalidArgument);   // period < 2 x publish lead
  BOOST_TEST(put(kDay, 3600, 1024) == StatusCode::kInvalidArgument);
  BOOST_TEST(CertificatesFixture::Count("SELECT COUNT(*) FROM rotation_policies") == 0);
  BOOST_TEST(CertificatesFixture::Count("SELECT COUNT(*) FROM certificates") == 0);
}

BOOST_AUTO_TEST_CASE(PublishesBeforeSigningAndRetiresAfterTheOverlap) {
  Policy();
  std::string first = Snap()->signer->cert.kid;
  clock.Advance(seconds(kDay - 300));
  BOOST_TEST(certs.RunMaintenance()->rotated == 1);
  auto snap = Snap();
  BOOST_TEST(snap->keys.size() == 2u);          // the next key is published...
  BOOST_TEST(snap->signer->cert.kid == first);  // ...but does not sign yet
  std::string second = snap->keys[0].cert.kid;
  BOOST_TEST(second != first);
  clock.Advance(seconds(299));
  SignedToken before = Sign(Lifetime(3600));  // the longest lifetime, just before the switch
  BOOST_TEST(before.kid == first);
  clock.Advance(seconds(1));
  BOOST_TEST(Snap()->signer->cert.kid == second);
  clock.Advance(seconds(3598));
  BOOST_TEST(Check(before.token).valid);  // its last valid second: old key still there
  BOOST_TEST(Snap()->keys.size() == 2u);
  clock.Advance(seconds(2));
  BOOST_TEST(Snap()->keys.size() == 1u);  // retired exactly at the overlap's end
  BOOST_TEST(certs.RunMaintenance()->expired == 1);
  BOOST_TEST(Count("certificate.retire") == 1);
  BOOST_TEST(Count("certificate.rotate") == 2);  // the first key, and this one
}

BOOST_AUTO_TEST_CASE(EachRotationHappensOnceAcrossReplicas) {
  Policy();
  KeyPool pool2{0};
  CertificateService replica(*db, envelope, audit, clock, pool2, testing::TestCertificateOptions());
  clock.Advance(seconds(kDay));
  int rotated = certs.RunMaintenance()->rotated + replica.RunMaintenance()->rotated +
                certs.RunMaintenance()->rotated;
  BOOST_TEST(rotated == 1);
  BOOST_TEST(Count("certificate.rotate") == 2);
}

BOOST_AUTO_TEST_CASE(ManualRotateRestartsTheSchedule) {
  Policy();
  clock.Advance(seconds(1000));
  auto next = certs.Rotate(account, ctx);
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(ToUnix(*next->activates_at) == ToUnix(clock.Now()) + 300);
  BOOST_TEST(ToUnix(certs.GetPolicy(account)->next_rotation_at) ==
             ToUnix(*next->activates_at) + kDay - 300);
  // Without a policy, rotation works too, with the default overlap.
  auto theirs = certs.Rotate(other, ctx);
  BOOST_REQUIRE(theirs.ok());
  BOOST_TEST(ToUnix(*theirs->activates_at) == ToUnix(clock.Now()));  // nothing signed yet
  BOOST_TEST(theirs->algorithm == KeyAlgorithm::kRs256);
}

BOOST_AUTO_TEST_CASE(ARevokedSignerIsReplacedByTheNextRotation) {
  Policy();
  BOOST_REQUIRE(certs.Revoke(account, Snap()->signer->cert.id, ctx).ok());
  BOOST_TEST(!Snap()->signer.has_value());
  clock.Advance(seconds(kDay - 300));
  BOOST_TEST(certs.RunMaintenance()->rotated == 1);
  BOOST_TEST(Snap()->signer.has_value());  // nothing signed, so the new key signs at once
}

// A client that caches the JWKS for exactly as long as Cache-Control says
// must always already hold the kid of a freshly signed token; a token
// signed at any moment stays verifiable until it expires.
BOOST_AUTO_TEST_CASE(NoMomentWhereAFreshTokensKidIsMissing) {
  Policy(kDay, 3600);
  struct Cached {
    std::set<std::string> kids;
    TimePoint fetched;
    int64_t max_age = 0;
  } client;
  auto fetch = [&] {
    auto snap = certs.Snapshot(account);
    client.kids.clear();
    for (const auto& k : (*snap)->keys) client.kids.insert(k.cert.kid);
    client.fetched = clock.Now();
    client.max_age = certs.JwksMaxAge(**snap);
  };
  fetch();
  std::vector<SignedToken> live;
  std::set<std::string> signers;
  for (int64_t t = 0; t <= 3 * kDay; t += 60) {
    BOOST_REQUIRE(certs.RunMaintenance().ok());
    if (clock.Now() >= client.fetched + seconds(client.max_age)) fetch();
    SignedToken token = Sign(Lifetime(3600));
    signers.insert(token.kid);
    BOOST_REQUIRE_MESSAGE(client.kids.count(token.kid) == 1,
                          "kid missing from the cached JWKS at t=" << t);
    if (t % 600 == 0) live.push_back(token);
    for (const auto& old : live) {
      if (old.expires_at > clock.Now()) {
        BOOST_REQUIRE_MESSAGE(Check(old.token).valid, "token from before t=" << t << " rejected");
      }
    }
    std::erase_if(live, [&](const SignedToken& s) { return s.expires_at <= clock.Now(); });
    clock.Advance(seconds(60));
  }
  BOOST_TEST(signers.size() == 4u);  // the first key and three rotations
  BOOST_TEST(Count("certificate.rotate") == 4);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
