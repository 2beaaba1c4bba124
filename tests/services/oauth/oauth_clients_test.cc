#include "services/oauth/oauth_clients.h"

#include <boost/test/unit_test.hpp>

#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

constexpr char kSecret[] = "planted-client-secret-9f8e7d6c";

struct Fixture : testing::AccountsFixture {
  OAuthProviders providers = OAuthProviders::BuiltIn();
  OAuthClients clients{*db, envelope, audit, clock, providers};
  std::string account;
  std::string other;
  Fixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "oauth_clients", OAuthClients::Migrations()).ok());
    for (const auto& t : OAuthClients::OwnedTables()) accounts.RegisterOwnedTable(t);
    account = accounts.Create("acme", ctx)->account.id;
    other = accounts.Create("other", ctx)->account.id;
  }
  OAuthClientWrite Write(std::string id = "client-1", std::string secret = kSecret) {
    OAuthClientWrite w;
    w.client_id = std::move(id);
    w.client_secret = std::move(secret);
    return w;
  }
  const OAuthClientInfo& Find(const std::vector<OAuthClientInfo>& all, const std::string& id) {
    for (const auto& c : all) {
      if (c.provider->id == id) return c;
    }
    BOOST_FAIL("no provider " + id);
    return all[0];
  }
};

BOOST_FIXTURE_TEST_SUITE(OAuthClientsTest, Fixture)

BOOST_AUTO_TEST_CASE(ClientSecretIsSealedAndShownOnlyAsLast4) {
  auto put = clients.Put(account, "google", Write(), ctx);
  BOOST_REQUIRE_MESSAGE(put.ok(), put.status().ToString());
  BOOST_TEST(*put->secret_last4 == "7d6c");
  auto all = clients.List(account);
  BOOST_REQUIRE(all.ok());
  BOOST_TEST(all->size() == 5u);
  const auto& google = Find(*all, "google");
  BOOST_TEST(google.configured);
  BOOST_TEST(google.client_id == "client-1");
  BOOST_TEST(*google.secret_last4 == "7d6c");
  BOOST_TEST(google.scopes == providers.Find("google")->scopes);  // defaults
  BOOST_TEST(!Find(*all, "slack").configured);
  BOOST_TEST(DatabaseBytes().find(kSecret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ScopesAndTenantAreKept) {
  OAuthClientWrite w = Write();
  w.scopes = std::vector<std::string>{"offline_access", "Mail.Read"};
  w.tenant = "contoso.onmicrosoft.com";
  BOOST_REQUIRE(clients.Put(account, "microsoft", w, ctx).ok());
  auto all = clients.List(account);
  BOOST_REQUIRE(all.ok());
  const auto& ms = Find(*all, "microsoft");
  BOOST_TEST(ms.scopes == *w.scopes);
  BOOST_TEST(*ms.tenant == "contoso.onmicrosoft.com");
}

BOOST_AUTO_TEST_CASE(BadInputNamesTheFieldAndStoresNothing) {
  auto expect_invalid = [&](const std::string& provider, OAuthClientWrite w, const char* field) {
    auto r = clients.Put(account, provider, w, ctx);
    BOOST_TEST_CONTEXT(field) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST((r.status().code() == StatusCode::kInvalidArgument));
      BOOST_TEST(r.status().message().find(field) != std::string::npos, r.status().message());
    }
  };
  expect_invalid("google", Write(""), "clientId");
  expect_invalid("google", Write("id", ""), "clientSecret");
  expect_invalid("google", Write("id", "bad\nsecret"), "clientSecret");
  OAuthClientWrite spaced = Write();
  spaced.scopes = std::vector<std::string>{"a b"};
  expect_invalid("google", spaced, "scopes");
  OAuthClientWrite tenant = Write();
  tenant.tenant = "contoso";
  expect_invalid("google", tenant, "tenant");
  OAuthClientWrite bad_tenant = Write();
  bad_tenant.tenant = "con/toso";
  expect_invalid("microsoft", bad_tenant, "tenant");
  BOOST_TEST((clients.Put(account, "nope", Write(), ctx).status().code() == StatusCode::kNotFound));
  auto all = clients.List(account);
  BOOST_REQUIRE(all.ok());
  for (const auto& c : *all) BOOST_TEST(!c.configured);
}

BOOST_AUTO_TEST_CASE(AccountsDoNotSeeEachOthersClients) {
  BOOST_REQUIRE(clients.Put(account, "github", Write(), ctx).ok());
  auto theirs = clients.List(other);
  BOOST_REQUIRE(theirs.ok());
  BOOST_TEST(!Find(*theirs, "github").configured);
  BOOST_REQUIRE(clients.SetRedirectUris(account, {"https://app.example.com/done"}, ctx).ok());
  BOOST_TEST(clients.RedirectUris(other)->empty());
}

BOOST_AUTO_TEST_CASE(RedirectUrisAreCheckedAndReplacedAsAWhole) {
  auto set = clients.SetRedirectUris(account,
                                     {"https://app.example.com/done", "http://localhost:3000/cb",
                                      "http://127.0.0.1:8080/cb", "https://app.example.com/done"},
                                     ctx);
  BOOST_REQUIRE_MESSAGE(set.ok(), set.status().ToString());
  BOOST_TEST(set->size() == 3u);  // the duplicate once
  for (const char* bad : {"http://app.example.com/cb", "https://app.example.com/cb#frag",
                          "https://user@app.example.com/cb", "app.example.com/cb",
                          "javascript:alert(1)", "https://app example.com/"}) {
    auto r = clients.SetRedirectUris(account, {"https://ok.example.com/", bad}, ctx);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST((r.status().code() == StatusCode::kInvalidArgument));
      BOOST_TEST(r.status().message().find("redirectUris") != std::string::npos);
    }
  }
  BOOST_TEST(clients.RedirectUris(account)->size() == 3u);  // unchanged by the failures
  BOOST_REQUIRE(clients.SetRedirectUris(account, {}, ctx).ok());
  BOOST_TEST(clients.RedirectUris(account)->empty());
}

BOOST_AUTO_TEST_CASE(DeletingTheAccountRemovesItsClients) {
  BOOST_REQUIRE(clients.Put(account, "notion", Write(), ctx).ok());
  BOOST_REQUIRE(clients.SetRedirectUris(account, {"https://app.example.com/done"}, ctx).ok());
  BOOST_REQUIRE(accounts.Delete(account, ctx).ok());
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_clients") == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_redirect_uris") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
