#include "services/credentials/credentials.h"

#include <boost/test/unit_test.hpp>

#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

constexpr char kOpenAi[] = "sk-planted-openai-0001abcd";
constexpr char kAnthropic[] = "sk-ant-planted-0002wxyz";

struct Fixture : testing::AccountsFixture {
  CredentialService creds{*db, envelope, audit, clock};
  std::string account;
  std::string other;
  Fixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "credentials", CredentialService::Migrations()).ok());
    for (const auto& t : CredentialService::OwnedTables()) accounts.RegisterOwnedTable(t);
    account = accounts.Create("acme", ctx)->account.id;
    other = accounts.Create("other", ctx)->account.id;
  }
  ProviderKeysUpdate Keys(std::vector<std::pair<std::string, std::optional<std::string>>> keys) {
    ProviderKeysUpdate u;
    u.keys = std::move(keys);
    return u;
  }
  const ProviderSummary& Find(const CredentialsSummary& s, const std::string& id) {
    for (const auto& p : s.providers) {
      if (p.provider->id == id) return p;
    }
    BOOST_FAIL("no provider " + id);
    return s.providers[0];
  }
  SecretWrite ApiKeySecret(const std::string& value) {
    SecretWrite w;
    w.type = SecretType::kApiKey;
    w.allowed_hosts = std::vector<std::string>{"api.example.com"};
    w.value.value = value;
    return w;
  }
};

BOOST_FIXTURE_TEST_SUITE(CredentialsTest, Fixture)

BOOST_AUTO_TEST_CASE(ProviderKeysAreWriteOnlyWithMaskedSummaries) {
  auto s =
      creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}, {"anthropic", kAnthropic}}), ctx);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  BOOST_TEST(Find(*s, "openai").has_key);
  BOOST_TEST(*Find(*s, "openai").last4 == "abcd");
  BOOST_TEST(*Find(*s, "anthropic").last4 == "wxyz");
  BOOST_TEST(!Find(*s, "google").has_key);
  BOOST_TEST(s->providers.size() == Providers().size());
  BOOST_REQUIRE(s->updated_at.has_value());

  auto removed = creds.PutProviderKeys(account, Keys({{"openai", std::nullopt}}), ctx);
  BOOST_TEST(!Find(*removed, "openai").has_key);
  BOOST_TEST(!Find(*removed, "openai").last4.has_value());
  BOOST_TEST(Find(*removed, "anthropic").has_key);
  // Other accounts see nothing.
  BOOST_TEST(!Find(*creds.Summary(other), "anthropic").has_key);
}

BOOST_AUTO_TEST_CASE(BadProviderInputChangesNothing) {
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  auto short_key =
      creds.PutProviderKeys(account, Keys({{"anthropic", kAnthropic}, {"groq", "short"}}), ctx);
  BOOST_TEST((short_key.status().code() == StatusCode::kInvalidArgument));
  BOOST_TEST(short_key.status().message().find("groqApiKey") != std::string::npos);
  auto control =
      creds.PutProviderKeys(account, Keys({{"openai", "sk-new-value\nInjected: 1"}}), ctx);
  BOOST_TEST(control.status().message().find("control characters") != std::string::npos);
  BOOST_TEST(!creds.PutProviderKeys(account, Keys({{"nosuch", kOpenAi}}), ctx).ok());
  ProviderKeysUpdate hosts;
  hosts.hosts.emplace_back("google", std::vector<std::string>{"gw.example.com"});
  auto no_key = creds.PutProviderKeys(account, hosts, ctx);
  BOOST_TEST(no_key.status().message().find("googleApiKey first") != std::string::npos);
  auto summary = *creds.Summary(account);
  BOOST_TEST(!Find(summary, "anthropic").has_key);  // the failed update wrote nothing
  BOOST_TEST(*Find(summary, "openai").last4 == "abcd");
}

BOOST_AUTO_TEST_CASE(ProviderInjectionAndHostOverride) {
  BOOST_REQUIRE(
      creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}, {"anthropic", kAnthropic}}), ctx)
          .ok());
  auto openai = creds.Resolve(account, "openai");
  BOOST_REQUIRE(openai.ok());
  BOOST_TEST(openai->headers.at(0).first == "Authorization");
  BOOST_TEST(openai->headers.at(0).second == std::string("Bearer ") + kOpenAi);
  BOOST_TEST(openai->allowed_hosts == std::vector<std::string>{"api.openai.com"});
  auto anthropic = creds.Resolve(account, "anthropic");
  BOOST_TEST(anthropic->headers.at(0).first == "x-api-key");
  BOOST_TEST(anthropic->headers.at(0).second == kAnthropic);

  ProviderKeysUpdate hosts;
  hosts.hosts.emplace_back("openai", std::vector<std::string>{"llm-gw.example.com"});
  auto s = creds.PutProviderKeys(account, hosts, ctx);
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(Find(*s, "openai").custom_hosts);
  BOOST_TEST(creds.Resolve(account, "openai")->allowed_hosts ==
             std::vector<std::string>{"llm-gw.example.com"});
  BOOST_TEST((creds.Resolve(other, "openai").status().code() == StatusCode::kNotFound));
  BOOST_TEST((creds.Resolve(account, "google").status().code() == StatusCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(BaseUrlsDefaultPerProviderAndAnOverrideBecomesTheAllowedHost) {
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  BOOST_TEST(creds.Resolve(account, "openai")->base_url == "https://api.openai.com");
  ProviderKeysUpdate gateway;
  gateway.base_urls.emplace_back("openai", "https://gw.example.com/openai/");
  auto s = creds.PutProviderKeys(account, gateway, ctx);
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(Find(*s, "openai").custom_base_url);
  BOOST_TEST(Find(*s, "openai").base_url == "https://gw.example.com/openai/");
  BOOST_TEST(Find(*s, "anthropic").base_url == "https://api.anthropic.com");  // a default
  auto resolved = creds.Resolve(account, "openai");
  BOOST_TEST(resolved->base_url == "https://gw.example.com/openai/");
  BOOST_TEST(resolved->allowed_hosts == std::vector<std::string>{"gw.example.com"});
  AuditFilter f{account};
  f.action = "credentials.update";
  auto events = audit.List(*db, f)->events;
  BOOST_REQUIRE(!events.empty());
  BOOST_TEST(events.front().details.back().first == "base_urls");
  BOOST_TEST(events.front().details.back().second == "openai");
  // The key's hosts followed: on record too.
  BOOST_TEST((events.front().details.front() ==
              std::pair<std::string, std::string>("allowed_hosts", "openai")));

  ProviderKeysUpdate restore;
  restore.base_urls.emplace_back("openai", std::nullopt);
  BOOST_REQUIRE(creds.PutProviderKeys(account, restore, ctx).ok());
  resolved = creds.Resolve(account, "openai");
  BOOST_TEST(resolved->base_url == "https://api.openai.com");
  BOOST_TEST(resolved->allowed_hosts == std::vector<std::string>{"api.openai.com"});
}

BOOST_AUTO_TEST_CASE(ABaseUrlMustBePlainAndWithinTheKeysOwnHosts) {
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  auto put = [&](const std::string& id, const std::string& url) {
    ProviderKeysUpdate u;
    u.base_urls.emplace_back(id, url);
    return creds.PutProviderKeys(account, u, ctx).status();
  };
  for (const char* bad :
       {"ftp://gw.example.com", "https://u:p@gw.example.com", "https://gw.example.com/?a=1",
        "https://gw.example.com/#f", "gw.example.com", "https://gw example.com"}) {
    Status s = put("openai", bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST((s.code() == StatusCode::kInvalidArgument));
      BOOST_TEST(s.message().find("baseUrls.openai") != std::string::npos);
    }
  }
  Status no_key = put("anthropic", "https://gw.example.com");
  BOOST_TEST(no_key.message() == "baseUrls.anthropic: set anthropicApiKey first");
  BOOST_TEST((put("nope", "https://gw.example.com").code() == StatusCode::kInvalidArgument));
  ProviderKeysUpdate hosts;
  hosts.hosts.emplace_back("openai", std::vector<std::string>{"*.corp.example"});
  BOOST_REQUIRE(creds.PutProviderKeys(account, hosts, ctx).ok());
  Status outside = put("openai", "https://gw.example.com");
  BOOST_TEST(outside.message().find("add it to allowedHosts.openai") != std::string::npos);
  BOOST_TEST(creds.Resolve(account, "openai")->base_url == "https://api.openai.com");  // unchanged
  BOOST_REQUIRE(put("openai", "https://llm.corp.example/v").ok());
  auto resolved = creds.Resolve(account, "openai");
  BOOST_TEST(resolved->base_url == "https://llm.corp.example/v");
  BOOST_TEST(resolved->allowed_hosts == std::vector<std::string>{"*.corp.example"});
}

BOOST_AUTO_TEST_CASE(ASecretHasABaseUrlOnlyIfGivenOneWithinItsHosts) {
  BOOST_REQUIRE(
      creds.CreateSecret(account, "svc", ApiKeySecret("planted-svc-value-123"), ctx).ok());
  BOOST_TEST(creds.Resolve(account, "svc")->base_url.empty());  // not reachable by path
  SecretWrite outside = ApiKeySecret("planted-svc-value-123");
  outside.base_url = std::optional<std::string>("https://elsewhere.example.com/v1");
  Status refused = creds.CreateSecret(account, "svc2", outside, ctx).status();
  BOOST_TEST(refused.message().find("add it to allowedHosts") != std::string::npos);
  BOOST_TEST((creds.GetSecret(account, "svc2").status().code() == StatusCode::kNotFound));

  SecretWrite with = ApiKeySecret("planted-svc-value-123");
  with.base_url = std::optional<std::string>("https://api.example.com/v1");
  auto created = creds.CreateSecret(account, "svc3", with, ctx);
  BOOST_REQUIRE(created.ok());
  BOOST_TEST(*created->base_url == "https://api.example.com/v1");
  BOOST_TEST(creds.Resolve(account, "svc3")->base_url == "https://api.example.com/v1");
  SecretWrite keep = ApiKeySecret("planted-svc-value-456");  // no baseUrl: unchanged
  BOOST_TEST(*creds.ReplaceSecret(account, "svc3", keep, ctx)->base_url ==
             "https://api.example.com/v1");
  SecretWrite remove = ApiKeySecret("planted-svc-value-456");
  remove.base_url = std::optional<std::string>();
  BOOST_TEST(!creds.ReplaceSecret(account, "svc3", remove, ctx)->base_url.has_value());
  BOOST_TEST(creds.Resolve(account, "svc3")->base_url.empty());
  SecretWrite bad = ApiKeySecret("planted-svc-value-456");
  bad.base_url = std::optional<std::string>("https://api.example.com/?q=1");
  BOOST_TEST((creds.ReplaceSecret(account, "svc3", bad, ctx).status().code() ==
              StatusCode::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(EachSecretTypeInjectsAsSpecified) {
  SecretWrite basic;
  basic.type = SecretType::kBasicAuth;
  basic.allowed_hosts = std::vector<std::string>{"*.example.com"};
  basic.value.username = "svc-user";
  basic.value.password = "pw-planted-basic-77";
  BOOST_REQUIRE(creds.CreateSecret(account, "basic", basic, ctx).ok());
  auto b = creds.Resolve(account, "basic");
  BOOST_TEST(b->headers.at(0).second == "Basic " + Base64Encode("svc-user:pw-planted-basic-77"));

  SecretWrite cookie;
  cookie.type = SecretType::kCookie;
  cookie.allowed_hosts = std::vector<std::string>{"app.example.com"};
  cookie.value.cookies = "session=planted-cookie-99; theme=dark";
  BOOST_REQUIRE(creds.CreateSecret(account, "cookie", cookie, ctx).ok());
  BOOST_TEST(creds.Resolve(account, "cookie")->headers.at(0).first == "Cookie");

  SecretWrite custom;
  custom.type = SecretType::kCustomHeader;
  custom.allowed_hosts = std::vector<std::string>{"api.example.com"};
  custom.value.headers = {{"X-Api-Key", "planted-custom-1234"}, {"X-Org", "org-0000000001"}};
  auto created = creds.CreateSecret(account, "custom", custom, ctx);
  BOOST_REQUIRE(created.ok());
  BOOST_TEST(created->parts.size() == 2u);
  BOOST_TEST(created->parts[0].part == "headers.X-Api-Key");
  BOOST_TEST(*created->parts[0].last4 == "1234");
  auto c = creds.Resolve(account, "custom");
  BOOST_TEST(c->headers.size() == 2u);
  BOOST_TEST(c->headers[1].second == "org-0000000001");

  SecretWrite query;
  query.type = SecretType::kQueryParam;
  query.allowed_hosts = std::vector<std::string>{"maps.example.com"};
  query.value.param = "key";
  query.value.value = "planted-query-5555";
  auto q = creds.CreateSecret(account, "query", query, ctx);
  BOOST_REQUIRE(q.ok());
  BOOST_TEST(*q->param == "key");
  auto qi = creds.Resolve(account, "query");
  BOOST_TEST(qi->headers.empty());
  BOOST_TEST(qi->query.at(0).first == "key");
  BOOST_TEST(qi->query.at(0).second == "planted-query-5555");

  BOOST_REQUIRE(
      creds.CreateSecret(account, "bearer", ApiKeySecret("planted-bearer-4242"), ctx).ok());
  BOOST_TEST(creds.Resolve(account, "bearer")->headers.at(0).second ==
             "Bearer planted-bearer-4242");
}

BOOST_AUTO_TEST_CASE(SecretsAreMaskedVersionedAndScopedToTheAccount) {
  auto created = creds.CreateSecret(account, "svc", ApiKeySecret("planted-value-0001"), ctx);
  BOOST_REQUIRE(created.ok());
  BOOST_TEST(created->version == 1);
  BOOST_TEST(*created->parts.at(0).last4 == "0001");
  BOOST_TEST((
      creds.CreateSecret(account, "svc", ApiKeySecret("planted-value-0002"), ctx).status().code() ==
      StatusCode::kAlreadyExists));
  BOOST_TEST(creds.CreateSecret(other, "svc", ApiKeySecret("planted-value-0003"), ctx).ok());

  SecretWrite replace = ApiKeySecret("planted-value-0004");
  replace.allowed_hosts.reset();  // keeps the hosts
  auto replaced = creds.ReplaceSecret(account, "svc", replace, ctx);
  BOOST_REQUIRE(replaced.ok());
  BOOST_TEST(replaced->version == 2);
  BOOST_TEST(replaced->allowed_hosts == std::vector<std::string>{"api.example.com"});
  BOOST_TEST(creds.Resolve(account, "svc")->headers.at(0).second == "Bearer planted-value-0004");
  BOOST_TEST(creds.Resolve(other, "svc")->headers.at(0).second == "Bearer planted-value-0003");

  BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) {
                    return creds.RecordUses(tx, account, "svc", 1, clock.Now());
                  }).ok());
  auto used = *creds.GetSecret(account, "svc");
  BOOST_TEST(used.use_count == 1);
  BOOST_TEST(used.last_used_at.has_value());

  BOOST_TEST((creds.DeleteSecret(other, "nosuch", ctx).code() == StatusCode::kNotFound));
  BOOST_REQUIRE(creds.DeleteSecret(account, "svc", ctx).ok());
  BOOST_TEST((creds.Resolve(account, "svc").status().code() == StatusCode::kNotFound));
  BOOST_TEST(creds.Resolve(other, "svc").ok());
}

BOOST_AUTO_TEST_CASE(BadSecretsAreRefusedWithTheFieldNamed) {
  auto expect = [&](const std::string& name, const SecretWrite& w, const std::string& words) {
    auto r = creds.CreateSecret(account, name, w, ctx);
    BOOST_TEST((r.status().code() == StatusCode::kInvalidArgument), name);
    BOOST_TEST(r.status().message().find(words) != std::string::npos, r.status().message());
  };
  expect("openai", ApiKeySecret("planted-x-000001"), "reserved");
  expect("oauth", ApiKeySecret("planted-x-000001"), "reserved for OAuth");
  expect("bad name", ApiKeySecret("planted-x-000001"), "name");
  SecretWrite no_hosts = ApiKeySecret("planted-x-000001");
  no_hosts.allowed_hosts.reset();
  expect("a", no_hosts, "allowedHosts");
  SecretWrite bad_host = ApiKeySecret("planted-x-000001");
  bad_host.allowed_hosts = std::vector<std::string>{"*"};
  expect("b", bad_host, "allowedHosts");
  expect("c", ApiKeySecret("line\r\nbreak-000001"), "control");
  SecretWrite header;
  header.type = SecretType::kCustomHeader;
  header.allowed_hosts = std::vector<std::string>{"api.example.com"};
  header.value.headers = {{"Host", "evil.example.com"}};
  expect("d", header, "Host");
  header.value.headers = {{"Bad Name", "v"}};
  expect("e", header, "header name");
  SecretWrite mixed = ApiKeySecret("planted-x-000001");
  mixed.value.password = "nope";
  expect("f", mixed, "password");
  BOOST_TEST(creds.ListSecrets(account)->empty());
}

BOOST_AUTO_TEST_CASE(ValuesAreSealedAndBoundToTheirName) {
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  BOOST_REQUIRE(creds.CreateSecret(account, "one", ApiKeySecret("planted-sealed-one-1"), ctx).ok());
  BOOST_REQUIRE(creds.CreateSecret(account, "two", ApiKeySecret("planted-sealed-two-2"), ctx).ok());
  std::string bytes = DatabaseBytes();
  BOOST_TEST(bytes.find(kOpenAi) == std::string::npos);
  BOOST_TEST(bytes.find("planted-sealed-one-1") == std::string::npos);
  // A ciphertext moved to another name does not open.
  BOOST_REQUIRE(db->Execute("UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE name ="
                            " 'one') WHERE name = 'two'",
                            {})
                    .ok());
  BOOST_TEST((creds.Resolve(account, "two").status().code() == StatusCode::kDataLoss));
  // Audit events name what changed, never the value.
  AuditFilter f{account};
  f.limit = 100;
  auto page = audit.List(*db, f);
  BOOST_REQUIRE(page.ok());
  for (const auto& e : page->events) {
    for (const auto& [k, v] : e.details) {
      BOOST_TEST(v.find("planted") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(DeletingTheAccountRemovesItsCredentials) {
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  BOOST_REQUIRE(creds.CreateSecret(account, "one", ApiKeySecret("planted-x-000001"), ctx).ok());
  BOOST_REQUIRE(accounts.Delete(account, ctx).ok());
  BOOST_TEST(Count("SELECT COUNT(*) FROM provider_credentials") == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM secrets") == 0);
}

// The header value the proxy would inject for `name`, or the error code.
std::string Injected(CredentialService& c, const std::string& account, const std::string& name) {
  auto inj = c.Resolve(account, name);
  if (!inj.ok()) return std::string(StatusCodeName(inj.status().code()));
  return inj->headers.empty() ? "" : inj->headers[0].second;
}

BOOST_AUTO_TEST_CASE(ResolveSeesLocalChangesAtOnce) {
  BOOST_REQUIRE(creds.CreateSecret(account, "llm", ApiKeySecret("planted-version-one"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-one");  // now cached
  BOOST_REQUIRE(creds.ReplaceSecret(account, "llm", ApiKeySecret("planted-version-two"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-two");
  SecretWrite hosts = ApiKeySecret("planted-version-two");
  hosts.allowed_hosts = std::vector<std::string>{"other.example.com"};
  BOOST_REQUIRE(creds.ReplaceSecret(account, "llm", hosts, ctx).ok());
  BOOST_TEST((creds.Resolve(account, "llm")->allowed_hosts ==
              std::vector<std::string>{"other.example.com"}));
  BOOST_REQUIRE(creds.DeleteSecret(account, "llm", ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "NOT_FOUND");

  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", kOpenAi}}), ctx).ok());
  BOOST_TEST(Injected(creds, account, "openai") == std::string("Bearer ") + kOpenAi);
  BOOST_REQUIRE(
      creds.PutProviderKeys(account, Keys({{"openai", "sk-planted-openai-0003"}}), ctx).ok());
  BOOST_TEST(Injected(creds, account, "openai") == "Bearer sk-planted-openai-0003");
  BOOST_REQUIRE(creds.PutProviderKeys(account, Keys({{"openai", std::nullopt}}), ctx).ok());
  BOOST_TEST(Injected(creds, account, "openai") == "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(AnotherReplicasChangesAreSeenWithinTheCacheLifetime) {
  // Two services on one database, as two replicas are.
  CredentialService other_replica{*db, envelope, audit, clock};
  BOOST_REQUIRE(creds.CreateSecret(account, "llm", ApiKeySecret("planted-version-one"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-one");

  BOOST_REQUIRE(
      other_replica.ReplaceSecret(account, "llm", ApiKeySecret("planted-version-two"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-one");  // cached
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-two");

  BOOST_REQUIRE(other_replica.DeleteSecret(account, "llm", ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-two");
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(Injected(creds, account, "llm") == "NOT_FOUND");

  // A clock that goes back does not keep a row forever.
  BOOST_REQUIRE(
      creds.CreateSecret(account, "llm", ApiKeySecret("planted-version-three"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-three");
  BOOST_REQUIRE(
      other_replica.ReplaceSecret(account, "llm", ApiKeySecret("planted-version-four"), ctx).ok());
  clock.Set(1'600'000'000);
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-four");
}

BOOST_AUTO_TEST_CASE(DeletingTheAccountDropsItsCachedCredentials) {
  accounts.OnDeleted([this](const std::string& id) { creds.ForgetAccount(id); });
  BOOST_REQUIRE(creds.CreateSecret(account, "llm", ApiKeySecret("planted-version-one"), ctx).ok());
  BOOST_REQUIRE(creds.CreateSecret(other, "llm", ApiKeySecret("planted-other-one"), ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "Bearer planted-version-one");
  BOOST_TEST(Injected(creds, other, "llm") == "Bearer planted-other-one");
  BOOST_REQUIRE(accounts.Delete(account, ctx).ok());
  BOOST_TEST(Injected(creds, account, "llm") == "NOT_FOUND");  // at once, not after a second
  BOOST_TEST(Injected(creds, other, "llm") == "Bearer planted-other-one");
}

BOOST_AUTO_TEST_CASE(ValuesThatAreNotUtf8AreRefusedWithTheFieldNamed) {
  auto key = creds.PutProviderKeys(account, Keys({{"openai", "sk-planted-\xff\xfe-0001"}}), ctx);
  BOOST_TEST((key.status().code() == StatusCode::kInvalidArgument));
  BOOST_TEST(key.status().message().find("openaiApiKey") != std::string::npos);
  auto secret = creds.CreateSecret(account, "bad", ApiKeySecret("planted-\xc3-000001"), ctx);
  BOOST_TEST((secret.status().code() == StatusCode::kInvalidArgument));
  BOOST_TEST(secret.status().message().find("UTF-8") != std::string::npos);
  BOOST_TEST(creds.ListSecrets(account)->empty());
}

BOOST_AUTO_TEST_CASE(AKeyOfFewCharactersButManyBytesShowsNoLast4) {
  // 14 bytes, 7 characters: long enough to store, too short to show.
  auto s = creds.PutProviderKeys(account,
                                 Keys({{"openai",
                                        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                        "\xc3\xa9\xc3\xa9\xc3\xa9"}}),
                                 ctx);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  BOOST_TEST(Find(*s, "openai").has_key);
  BOOST_TEST(!Find(*s, "openai").last4.has_value());
}

BOOST_AUTO_TEST_CASE(ASealedValueOfTheWrongShapeIsDataLoss) {
  BOOST_REQUIRE(creds.CreateSecret(account, "one", ApiKeySecret("planted-shape-0001"), ctx).ok());
  for (const char* plain : {"not json", "[]", "{\"value\":5}", "{\"headers\":[1]}",
                            "{\"headers\":[[\"X-A\"]]}", "{\"headers\":[[\"X-A\",2]]}"}) {
    auto sealed = envelope.Seal(*db, account, "secret", "one", plain);
    BOOST_REQUIRE(sealed.ok());
    BOOST_REQUIRE(db->Execute("UPDATE secrets SET sealed = ? WHERE name = 'one'", {*sealed}).ok());
    creds.ForgetAccount(account);
    BOOST_TEST((creds.Resolve(account, "one").status().code() == StatusCode::kDataLoss), plain);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
