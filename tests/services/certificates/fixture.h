// The account services plus the certificates service, wired as latchkeyd
// wires them, on a temporary SQLite file and a FakeClock.
#pragma once

#include <boost/test/unit_test.hpp>

#include "services/certificates/certificate_store.h"
#include "services/certificates/certificates.h"
#include "services/certificates/tokens.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey::testing {

inline CertificateOptions TestCertificateOptions() {
  CertificateOptions o;
  o.jwks_max_age = std::chrono::seconds(300);
  o.max_token_lifetime = std::chrono::seconds(3600);
  o.version_check_interval = std::chrono::seconds(1);
  return o;
}

struct CertificatesFixture : AccountsFixture {
  KeyPool pool{0};
  CertificateService certs{*db, envelope, audit, clock, pool, TestCertificateOptions()};
  TokenService tokens{certs, clock};
  std::string account;
  std::string other;
  std::string issuer;

  CertificatesFixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "certificates", CertificateService::Migrations()).ok());
    for (const auto& t : CertificateService::OwnedTables()) accounts.RegisterOwnedTable(t);
    account = accounts.Create("acme", ctx)->account.id;
    other = accounts.Create("other", ctx)->account.id;
    issuer = "https://lk.test/accounts/" + account;
  }

  // An ES256 certificate (fast to generate) unless told otherwise.
  CreatedCertificate Make(Custody custody = Custody::kManaged,
                          KeyAlgorithm alg = KeyAlgorithm::kEs256, const std::string& acct = "") {
    NewCertificate n;
    n.name = "test";
    n.algorithm = alg;
    n.key_size = alg == KeyAlgorithm::kRs256 ? 2048 : 256;
    n.custody = custody;
    auto created = certs.Create(acct.empty() ? account : acct, n, ctx);
    BOOST_REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    return std::move(*created);
  }

  std::shared_ptr<const KeySnapshot> Snap(const std::string& acct = "") {
    auto snap = certs.Snapshot(acct.empty() ? account : acct);
    BOOST_REQUIRE(snap.ok());
    return *snap;
  }

  static TokenRequest Lifetime(int64_t seconds) {
    TokenRequest r;
    r.expires_in = seconds;
    return r;
  }

  SignedToken Sign(TokenRequest r = {}) {
    auto t = tokens.Sign(account, issuer, r);
    BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
    return std::move(*t);
  }

  TokenVerification Check(const std::string& token,
                          const std::optional<std::string>& audience = std::nullopt) {
    auto v = tokens.Verify(account, issuer, token, audience);
    BOOST_REQUIRE(v.ok());
    return std::move(*v);
  }

  std::vector<std::string> AuditActions(const std::string& acct) {
    AuditFilter f;
    f.account_id = acct;
    f.limit = 1000;
    std::vector<std::string> out;
    auto page = audit.List(*db, f);
    BOOST_REQUIRE(page.ok());
    for (const auto& e : page->events) out.push_back(e.action);
    return out;
  }
};

}  // namespace latchkey::testing
