#include "services/certificates/certificates.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "common/ids.h"
#include "tests/services/certificates/fixture.h"

namespace latchkey {
namespace {

// 40 key-specific characters of a PEM (its start is the same for every
// key of a type), as they would appear in a file that stored it.
std::string PemSample(const std::string& pem) {
  std::vector<std::string> lines;
  std::istringstream in(pem);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("-----", 0) != 0) lines.push_back(line);
  }
  return lines.at(lines.size() - 2).substr(20, 40);  // a full line, past any common prefix
}

struct Fixture : testing::CertificatesFixture {
  std::string DatabaseBytes() {
    if (db->dialect() == SqlDialect::kPostgres) return testing::StoredBytes(*db, dir);
    db->Close();
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream f(dir.file(std::string("t.db") + suffix), std::ios::binary);
      all += std::string(std::istreambuf_iterator<char>(f), {});
    }
    return all;
  }
};

BOOST_FIXTURE_TEST_SUITE(CertificatesTest, Fixture)

BOOST_AUTO_TEST_CASE(CreatesAnRs256KeyWithItsThumbprintAsKid) {
  NewCertificate n;
  n.name = "signing";
  n.metadata = {{"team", "payments"}};
  auto created = certs.Create(account, n, ctx);
  BOOST_REQUIRE(created.ok());
  const Certificate& c = created->certificate;
  BOOST_TEST(IsValidId(c.id, "cert"));
  BOOST_TEST(c.algorithm == KeyAlgorithm::kRs256);
  BOOST_TEST(c.key_size == 2048);
  BOOST_TEST(c.custody == Custody::kExported);
  BOOST_TEST(c.status == CertificateStatus::kActive);
  auto pub = AsymmetricKey::FromPublicPem(KeyAlgorithm::kRs256, c.public_key_pem);
  BOOST_REQUIRE(pub.ok());
  BOOST_TEST(c.kid == *pub->Thumbprint());
  BOOST_REQUIRE(created->private_key_pem.has_value());
  auto priv = AsymmetricKey::FromPrivatePem(KeyAlgorithm::kRs256, *created->private_key_pem);
  BOOST_REQUIRE(priv.ok());
  BOOST_TEST(*priv->Thumbprint() == c.kid);  // the private key matches the published one

  auto read = certs.Get(account, c.id);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(read->kid == c.kid);
  BOOST_TEST(read->metadata.at("team") == "payments");
  auto actions = AuditActions(account);
  BOOST_TEST(actions.front() == "certificate.create");
}

BOOST_AUTO_TEST_CASE(PrivateKeysAreNeverStoredInTheClear) {
  auto exported = Make(Custody::kExported);
  auto managed = Make(Custody::kManaged);
  BOOST_TEST(!managed.private_key_pem.has_value());
  // The managed key exists: it signs.
  BOOST_TEST(Snap()->signer.has_value());
  std::string managed_pem(Snap()->signer->key.PrivatePem()->view());
  std::string bytes = DatabaseBytes();
  BOOST_TEST(bytes.find(PemSample(*exported.private_key_pem)) == std::string::npos);
  BOOST_TEST(bytes.find(PemSample(managed_pem)) == std::string::npos);
  BOOST_TEST(bytes.find(PemSample(managed.certificate.public_key_pem)) !=
             std::string::npos);  // the control: public keys are stored
}

BOOST_AUTO_TEST_CASE(RefusesBadInputAndStoresNothing) {
  auto bad = [&](NewCertificate n) {
    auto r = certs.Create(account, n, ctx);
    BOOST_TEST(r.status().code() == StatusCode::kInvalidArgument);
  };
  NewCertificate n;
  n.name = "x";
  n.key_size = 1024;
  bad(n);
  n.key_size = 2048;
  n.expires_at = clock.Now();
  bad(n);
  n.expires_at.reset();
  n.name = "";
  bad(n);
  n.name = "x";
  for (size_t i = 0; i <= kMaxMetadataEntries; ++i) n.metadata["k" + std::to_string(i)] = "v";
  bad(n);
  n.metadata = {{"k", std::string(kMaxMetadataValue + 1, 'v')}};
  bad(n);
  n.metadata = {{std::string(kMaxMetadataKey + 1, 'k'), "v"}};
  bad(n);
  n.metadata = {{"has space", "v"}};
  bad(n);
  n.metadata = {{"k", "line\nbreak"}};
  bad(n);
  n.metadata = {{"k", "bad \xff utf-8"}};  // through HTTP the JSON parser refuses it first
  bad(n);
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificates") == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'certificate.create'") == 0);
}

BOOST_AUTO_TEST_CASE(ListsNewestFirstWithFilters) {
  NewCertificate n;
  n.name = "a";
  n.algorithm = KeyAlgorithm::kEs256;
  n.metadata = {{"env", "prod"}, {"team", "core"}};
  auto a = certs.Create(account, n, ctx);
  clock.Advance(std::chrono::seconds(1));
  n.name = "b";
  n.metadata = {{"env", "dev"}};
  auto b = certs.Create(account, n, ctx);
  BOOST_REQUIRE(certs.Revoke(account, b->certificate.id, ctx).ok());

  auto all = certs.List(account, {});
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST((*all)[0].id == b->certificate.id);
  CertificateFilter f;
  f.status = CertificateStatus::kRevoked;
  BOOST_TEST(certs.List(account, f)->size() == 1u);
  f = {};
  f.metadata = {{"env", "prod"}, {"team", "core"}};
  auto prod = certs.List(account, f);
  BOOST_REQUIRE(prod->size() == 1u);
  BOOST_TEST((*prod)[0].id == a->certificate.id);
  f.metadata = {{"env", "prod"}, {"team", "other"}};
  BOOST_TEST(certs.List(account, f)->empty());
  BOOST_TEST(certs.List(other, {})->empty());
}

BOOST_AUTO_TEST_CASE(ActiveIsTheNewestCertificateInEffect) {
  BOOST_TEST(certs.Active(account).status().code() == StatusCode::kNotFound);
  auto first = Make();
  clock.Advance(std::chrono::seconds(1));
  auto second = Make(Custody::kExported);
  BOOST_TEST(certs.Active(account)->id == second.certificate.id);
  BOOST_REQUIRE(certs.Revoke(account, second.certificate.id, ctx).ok());
  BOOST_TEST(certs.Active(account)->id == first.certificate.id);
}

BOOST_AUTO_TEST_CASE(TheNewestManagedKeySignsEvenWithinOneSecond) {
  // Creation order, not the one-second timestamp (or a random id), decides.
  for (int i = 0; i < 6; ++i) {
    auto c = Make(Custody::kManaged);
    BOOST_TEST(Snap()->signer->cert.id == c.certificate.id);
    BOOST_TEST(certs.Active(account)->id == c.certificate.id);
    BOOST_TEST(certs.List(account, {})->front().id == c.certificate.id);
  }
}

BOOST_AUTO_TEST_CASE(RevokeIsImmediateAndFinal) {
  auto c = Make();
  auto revoked = certs.Revoke(account, c.certificate.id, ctx);
  BOOST_REQUIRE(revoked.ok());
  BOOST_TEST(revoked->status == CertificateStatus::kRevoked);
  BOOST_TEST(Snap()->keys.empty());
  BOOST_TEST(!Snap()->signer.has_value());
  BOOST_TEST(certs.Revoke(account, c.certificate.id, ctx).status().code() ==
             StatusCode::kFailedPrecondition);
  // The sealed private key is destroyed with the revocation.
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificates WHERE private_key_sealed IS NOT NULL") == 0);
  BOOST_TEST(certs.FindPublic(c.certificate.kid).status().code() == StatusCode::kNotFound);
  BOOST_TEST(AuditActions(account).front() == "certificate.revoke");
}

BOOST_AUTO_TEST_CASE(DeletesOnlyRevokedOrExpired) {
  auto c = Make();
  BOOST_TEST(certs.Delete(account, c.certificate.id, ctx).code() == StatusCode::kInvalidArgument);
  BOOST_REQUIRE(certs.Revoke(account, c.certificate.id, ctx).ok());
  BOOST_TEST(certs.Delete(account, c.certificate.id, ctx).ok());
  BOOST_TEST(certs.Get(account, c.certificate.id).status().code() == StatusCode::kNotFound);
  BOOST_TEST(certs.Delete(account, c.certificate.id, ctx).code() == StatusCode::kNotFound);

  NewCertificate n;
  n.name = "short";
  n.algorithm = KeyAlgorithm::kEs256;
  n.expires_at = clock.Now() + std::chrono::seconds(10);
  auto e = certs.Create(account, n, ctx);
  clock.Advance(std::chrono::seconds(10));
  BOOST_TEST(certs.Get(account, e->certificate.id)->status == CertificateStatus::kExpired);
  BOOST_TEST(certs.Delete(account, e->certificate.id, ctx).ok());
}

BOOST_AUTO_TEST_CASE(OtherAccountsSeeNothing) {
  auto mine = Make();
  const std::string& id = mine.certificate.id;
  BOOST_TEST(certs.Get(other, id).status().code() == StatusCode::kNotFound);
  BOOST_TEST(certs.Revoke(other, id, ctx).status().code() == StatusCode::kNotFound);
  BOOST_TEST(certs.Delete(other, id, ctx).code() == StatusCode::kNotFound);
  BOOST_TEST(certs.Get(account, id)->status == CertificateStatus::kActive);
  BOOST_TEST(Snap(other)->keys.empty());
  BOOST_TEST(!Snap(other)->signer.has_value());
}

BOOST_AUTO_TEST_CASE(ExpiryIsRecordedOnceByMaintenance) {
  NewCertificate n;
  n.name = "short";
  n.algorithm = KeyAlgorithm::kEs256;
  n.expires_at = clock.Now() + std::chrono::seconds(60);
  auto c = certs.Create(account, n, ctx);
  BOOST_TEST(certs.RunMaintenance()->expired == 0);
  clock.Advance(std::chrono::seconds(60));
  // Out of the JWKS at its expiry, whether or not the job has run.
  BOOST_TEST(Snap()->keys.empty());
  BOOST_TEST(certs.RunMaintenance()->expired == 1);
  BOOST_TEST(certs.RunMaintenance()->expired == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificates WHERE status = 'expired'") == 1);
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'certificate.expire'") == 1);
}

BOOST_AUTO_TEST_CASE(AccountDeletionRemovesCertificates) {
  Make();
  BOOST_REQUIRE(accounts.Delete(account, ctx).ok());
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificates WHERE account_id = ?", {account}) == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM certificate_versions WHERE account_id = ?", {account}) ==
             0);
  BOOST_TEST(Snap()->version == 0);
  BOOST_TEST(Snap()->keys.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
