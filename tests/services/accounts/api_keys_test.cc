#include "services/accounts/api_keys.h"

#include "services/accounts/scopes.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

struct Fixture : testing::AccountsFixture {
  CreatedAccount acme = *accounts.Create("acme", ctx);
  const std::string& account() { return acme.account.id; }
};

BOOST_FIXTURE_TEST_SUITE(ApiKeysTest, Fixture)

BOOST_AUTO_TEST_CASE(KeyEmbedsItsIdAndIsStoredOnlyAsAHash) {
  const CreatedApiKey& k = acme.first_key;
  BOOST_TEST(k.token.rfind("lk_" + k.key.id + ".", 0) == 0u);
  auto rows = *db->Query("SELECT secret_hash FROM api_keys WHERE id = ?", {k.key.id});
  BOOST_TEST(rows[0].Text(0) == Sha256Hex(k.token));
  BOOST_TEST(Count("SELECT COUNT(*) FROM api_keys WHERE secret_hash LIKE ?",
                   {"%" + k.token.substr(k.token.find('.') + 1) + "%"}) == 0);
}

BOOST_AUTO_TEST_CASE(AuthenticateReturnsThePrincipal) {
  auto p = api_keys.Authenticate(acme.first_key.token, ctx);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->account_id == account());
  BOOST_TEST(p->HasScope(scopes::kAuditRead));
}

BOOST_AUTO_TEST_CASE(WrongMalformedRevokedAndExpiredKeysAreUnauthenticated) {
  std::string token = acme.first_key.token;
  std::string wrong = token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  auto refusal = [&](const std::string& bad) {
    Status s = api_keys.Authenticate(bad, ctx).status();
    BOOST_TEST((s.code() == StatusCode::kUnauthenticated));
    return s.message();
  };
  // A wrong secret reads exactly like a key id that does not exist.
  const std::string unknown = "unknown API key: no key has this id and secret";
  for (const std::string& bad :
       {wrong, std::string("lk_key_aaaaaaaaaaaaaaaaaaaa.x"), token + "x"}) {
    BOOST_TEST(refusal(bad) == unknown);
  }
  for (const std::string& bad : {std::string("lk_nope"), std::string(""), std::string("sk-1")}) {
    BOOST_TEST(refusal(bad).rfind("malformed API key", 0) == 0u);
  }
  TimePoint ends = clock.Now() + std::chrono::seconds(60);
  auto limited = *api_keys.Create(account(), {"short", {scopes::kAuditRead}, ends}, ctx);
  BOOST_TEST(api_keys.Authenticate(limited.token, ctx).ok());
  clock.Advance(std::chrono::seconds(60));
  BOOST_TEST(refusal(limited.token) == "API key expired at " + FormatIso8601(ends) +
                                           ": use another key, or create one with POST /api-keys");
  std::string expired_wrong = limited.token;
  expired_wrong.back() = expired_wrong.back() == 'A' ? 'B' : 'A';
  BOOST_TEST(refusal(expired_wrong) == unknown);  // only the key's holder learns it expired

  TimePoint revoked_at = clock.Now();
  BOOST_REQUIRE(api_keys.Revoke(account(), acme.first_key.key.id, ctx).ok());
  BOOST_TEST(refusal(token) == "API key revoked at " + FormatIso8601(revoked_at) +
                                   ": use another key, or create one with POST /api-keys");
  // Failed attempts on real key ids are audited, without the secret.
  AuditFilter f{account()};
  f.action = "auth.denied";
  auto denied = audit.List(*db, f)->events;
  // Wrong secrets (in one window per key), expired, revoked.
  BOOST_TEST(denied.size() == 4u);
  for (const auto& e : denied) BOOST_TEST(e.details[0].second.find(".") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(RepeatedDenialsAreOneEventPerWindowWithACount) {
  std::string wrong = acme.first_key.token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  AuditFilter f{account()};
  f.action = "auth.denied";
  for (int i = 0; i < 50; ++i) BOOST_TEST(!api_keys.Authenticate(wrong, ctx).ok());
  BOOST_TEST(audit.List(*db, f)->events.size() == 1u);
  clock.Advance(ApiKeyService::kDenialWindow - std::chrono::seconds(1));
  BOOST_TEST(!api_keys.Authenticate(wrong, ctx).ok());
  BOOST_TEST(audit.List(*db, f)->events.size() == 1u);
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(!api_keys.Authenticate(wrong, ctx).ok());
  auto events = audit.List(*db, f)->events;
  BOOST_REQUIRE(events.size() == 2u);
  // The newest reports the 50 it stood for.
  BOOST_TEST(events[0].details.size() == 2u);
  BOOST_TEST(events[0].details[1].first == "suppressed");
  BOOST_TEST(events[0].details[1].second == "50");
}

BOOST_AUTO_TEST_CASE(DenialsLeftInAWindowAreReportedWhenItEnds) {
  std::string wrong = acme.first_key.token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  AuditFilter f{account()};
  f.action = "auth.denied";
  AuditContext last = ctx;
  last.request_id = "req_last";
  for (int i = 0; i < 6; ++i) BOOST_TEST(!api_keys.Authenticate(wrong, i == 5 ? last : ctx).ok());
  BOOST_TEST(api_keys.FlushDenials() == 0);  // the window is still open
  BOOST_TEST(audit.List(*db, f)->events.size() == 1u);
  clock.Advance(ApiKeyService::kDenialWindow);
  BOOST_TEST(api_keys.FlushDenials() == 1);
  auto events = audit.List(*db, f)->events;
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_REQUIRE(events[0].details.size() == 2u);
  BOOST_TEST(events[0].details[1].second == "5");
  BOOST_TEST(events[0].request_id == "req_last");
  // Reported once: nothing is left to flush, and the next denial starts a
  // window of its own (an event without a count).
  BOOST_TEST(api_keys.FlushDenials() == 0);
  BOOST_TEST(!api_keys.Authenticate(wrong, ctx).ok());
  events = audit.List(*db, f)->events;
  BOOST_REQUIRE(events.size() == 3u);
  BOOST_TEST(events[0].details.size() == 1u);
}

BOOST_AUTO_TEST_CASE(CreateValidatesScopesNameAndExpiry) {
  BOOST_TEST(!api_keys.Create(account(), {"x", {}, {}}, ctx).ok());
  auto unknown = api_keys.Create(account(), {"x", {"root"}, {}}, ctx);
  BOOST_TEST(unknown.status().message().rfind(
                 "scopes: unknown scope 'root' (known: certificates:read, ", 0) == 0);
  BOOST_TEST(!api_keys.Create(account(), {"x", {"proxy", "proxy"}, {}}, ctx).ok());
  BOOST_TEST(!api_keys.Create(account(), {"", {"proxy"}, {}}, ctx).ok());
  BOOST_TEST(!api_keys.Create(account(), {"x", {"proxy"}, clock.Now()}, ctx).ok());
  BOOST_TEST(api_keys.List(account())->size() == 1u);
}

BOOST_AUTO_TEST_CASE(RevokeIsScopedToTheAccount) {
  auto other = *accounts.Create("other", ctx);
  BOOST_TEST((api_keys.Revoke(other.account.id, acme.first_key.key.id, ctx).code() ==
              StatusCode::kNotFound));
  BOOST_TEST(api_keys.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_REQUIRE(api_keys.Revoke(account(), acme.first_key.key.id, ctx).ok());
  BOOST_TEST(
      (api_keys.Revoke(account(), acme.first_key.key.id, ctx).code() == StatusCode::kNotFound));
  BOOST_TEST(api_keys.List(account())->empty());
}

// A second service on the same database stands in for another replica: its
// revocation reaches this one's cache once the cached row is cache_ttl old.
BOOST_AUTO_TEST_CASE(AnotherReplicasRevocationTakesEffectWithinTheCacheTtl) {
  ApiKeyService replica(*db, audit, clock);
  const std::string& token = acme.first_key.token;
  BOOST_REQUIRE(api_keys.Authenticate(token, ctx).ok());  // cached now
  BOOST_REQUIRE(replica.Revoke(account(), acme.first_key.key.id, ctx).ok());
  BOOST_TEST(!replica.Authenticate(token, ctx).ok());
  BOOST_TEST(api_keys.Authenticate(token, ctx).ok());  // within the same second
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(!api_keys.Authenticate(token, ctx).ok());
}

BOOST_AUTO_TEST_CASE(ZeroCacheTtlReadsTheDatabaseOnEveryRequest) {
  ApiKeyService uncached(*db, audit, clock, ApiKeyOptions{std::chrono::seconds(0)});
  BOOST_REQUIRE(uncached.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_REQUIRE(api_keys.Revoke(account(), acme.first_key.key.id, ctx).ok());
  BOOST_TEST(!uncached.Authenticate(acme.first_key.token, ctx).ok());
}

// The request thread authenticates a caller itself only when that reads
// nothing and writes nothing; otherwise a worker does.
BOOST_AUTO_TEST_CASE(AuthenticatesFromMemoryOnlyWhileTheRowIsCachedAndNoWriteIsDue) {
  const std::string& token = acme.first_key.token;
  auto memory = [&](ApiKeyService& keys, const std::string& t) {
    return keys.AuthenticateFromMemory(t, ctx);
  };
  auto malformed = memory(api_keys, "lk_nope");  // refused without a lookup
  BOOST_REQUIRE(malformed.has_value());
  BOOST_TEST((malformed->status().code() == StatusCode::kUnauthenticated));
  BOOST_TEST(!memory(api_keys, token).has_value());  // not read yet
  BOOST_REQUIRE(api_keys.Authenticate(token, ctx).ok());
  auto cached = memory(api_keys, token);
  BOOST_REQUIRE(cached.has_value());
  BOOST_TEST((*cached)->key_id == acme.first_key.key.id);
  std::string wrong = token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  auto refused = memory(api_keys, wrong);  // a wrong secret for a cached row
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST((refused->status().code() == StatusCode::kUnauthenticated));
  clock.Advance(std::chrono::seconds(1));  // the cached row is cache_ttl old
  BOOST_TEST(!memory(api_keys, token).has_value());

  ApiKeyService long_lived(*db, audit, clock, ApiKeyOptions{std::chrono::hours(1)});
  BOOST_REQUIRE(long_lived.Authenticate(token, ctx).ok());
  BOOST_TEST(memory(long_lived, token).has_value());
  clock.Advance(std::chrono::minutes(1));  // its last use is due to be written
  BOOST_TEST(!memory(long_lived, token).has_value());
  BOOST_REQUIRE(long_lived.Authenticate(token, ctx).ok());
  BOOST_TEST(memory(long_lived, token).has_value());
}

BOOST_AUTO_TEST_CASE(DeletingTheAccountRefusesItsCachedKeysAtOnce) {
  BOOST_REQUIRE(api_keys.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_REQUIRE(accounts.Delete(account(), ctx).ok());
  BOOST_TEST((api_keys.Authenticate(acme.first_key.token, ctx).status().code() ==
              StatusCode::kUnauthenticated));
}

BOOST_AUTO_TEST_CASE(CacheCapacityBoundsMemoryWithoutRefusingKeys) {
  ApiKeyService small(*db, audit, clock, ApiKeyOptions{std::chrono::seconds(60), 2});
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    tokens.push_back(
        api_keys.Create(account(), {"k" + std::to_string(i), {scopes::kAuditRead}, {}}, ctx)
            ->token);
  }
  for (int round = 0; round < 2; ++round) {
    for (const auto& t : tokens) BOOST_TEST(small.Authenticate(t, ctx).ok());
  }
}

BOOST_AUTO_TEST_CASE(LastUsedIsWrittenAtMostOncePerMinute) {
  const std::string& id = acme.first_key.key.id;
  auto last_used = [&] {
    return Count("SELECT COALESCE(last_used_at, 0) FROM api_keys WHERE id = ?", {id});
  };
  BOOST_TEST(last_used() == 0);
  int64_t start = ToUnix(clock.Now());
  BOOST_REQUIRE(api_keys.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_TEST(last_used() == start);
  clock.Advance(std::chrono::seconds(59));
  BOOST_REQUIRE(api_keys.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_TEST(last_used() == start);
  clock.Advance(std::chrono::seconds(1));
  BOOST_REQUIRE(api_keys.Authenticate(acme.first_key.token, ctx).ok());
  BOOST_TEST(last_used() == start + 60);
  BOOST_TEST(ToUnix(*api_keys.List(account())->at(0).last_used_at) == start + 60);
}

BOOST_AUTO_TEST_CASE(CredentialRestrictionIsValidatedStoredAndCarried) {
  NewApiKey agent{"agent", {scopes::kProxy}, {}, std::vector<std::string>{"openai", "my.secret"}};
  auto created = api_keys.Create(account(), agent, ctx);
  BOOST_REQUIRE(created.ok());
  auto p = api_keys.Authenticate(created->token, ctx);
  BOOST_REQUIRE(p->credentials.has_value());
  BOOST_TEST(*p->credentials == (std::vector<std::string>{"openai", "my.secret"}));
  BOOST_TEST(!api_keys.Authenticate(acme.first_key.token, ctx)->credentials.has_value());
  for (auto bad : {std::vector<std::string>{}, std::vector<std::string>{"bad name"},
                   std::vector<std::string>{std::string(65, 'a')}}) {
    NewApiKey k{"k", {scopes::kProxy}, {}, bad};
    BOOST_TEST(
        (api_keys.Create(account(), k, ctx).status().code() == StatusCode::kInvalidArgument));
  }
  BOOST_TEST(api_keys.List(account())->size() == 2u);
}

// Regression: a key with only api-keys:write could mint a key with every
// scope, and a credential-restricted agent key an unrestricted one.
BOOST_AUTO_TEST_CASE(AKeyCreatesOnlyKeysWithinItsOwnScopes) {
  const auto& all = scopes::All();
  // Every single scope as a creator, against every single scope requested.
  for (const auto& held : all) {
    std::vector<std::string> creator_scopes{held};
    if (held != scopes::kApiKeysWrite) creator_scopes.push_back(scopes::kApiKeysWrite);
    Principal creator{account(), "key_creator", creator_scopes, std::nullopt, std::nullopt};
    for (const auto& wanted : all) {
      auto r = api_keys.CreateFor(creator, {"child", {wanted}, {}, {}}, ctx);
      bool within = creator.HasScope(wanted);
      BOOST_TEST(r.ok() == within, held << " creating " << wanted);
      if (!within) BOOST_TEST((r.status().code() == StatusCode::kPermissionDenied));
    }
    // One scope too many refuses the whole request.
    auto more = creator_scopes;
    more.push_back(held == scopes::kAuditRead ? scopes::kProxy : scopes::kAuditRead);
    BOOST_TEST(!api_keys.CreateFor(creator, {"child", more, {}, {}}, ctx).ok());
  }
  Principal full{account(), "key_full", all, std::nullopt, std::nullopt};
  BOOST_TEST(api_keys.CreateFor(full, {"child", all, {}, {}}, ctx).ok());
}

BOOST_AUTO_TEST_CASE(ACredentialRestrictedKeyCreatesOnlyNarrowerKeys) {
  using V = std::vector<std::string>;
  Principal agent{account(),
                  "key_agent",
                  {scopes::kProxy, scopes::kApiKeysWrite},
                  V{"openai", "github"},
                  std::nullopt};
  // Unnamed restriction: inherited, never widened to "every credential".
  auto inherited = api_keys.CreateFor(agent, {"c", {scopes::kProxy}, {}, {}}, ctx);
  BOOST_REQUIRE(inherited.ok());
  BOOST_TEST((*api_keys.Authenticate(inherited->token, ctx)->credentials == V{"openai", "github"}));
  BOOST_TEST(api_keys.CreateFor(agent, {"c", {scopes::kProxy}, {}, V{"openai"}}, ctx).ok());
  BOOST_TEST(
      api_keys.CreateFor(agent, {"c", {scopes::kProxy}, {}, V{"github", "openai"}}, ctx).ok());
  for (const V& wider :
       {V{"anthropic"}, V{"openai", "anthropic"}, V{"oauth:otk_aaaaaaaaaaaaaaaaaaaa"}}) {
    auto r = api_keys.CreateFor(agent, {"c", {scopes::kProxy}, {}, wider}, ctx);
    BOOST_TEST((r.status().code() == StatusCode::kPermissionDenied));
  }
  // An unrestricted creator may restrict or not.
  Principal open{
      account(), "key_open", {scopes::kProxy, scopes::kApiKeysWrite}, std::nullopt, std::nullopt};
  auto unrestricted = api_keys.CreateFor(open, {"c", {scopes::kProxy}, {}, {}}, ctx);
  BOOST_TEST(!api_keys.Authenticate(unrestricted->token, ctx)->credentials.has_value());
}

BOOST_AUTO_TEST_CASE(AnExpiringKeyCreatesOnlyKeysThatExpireNoLater) {
  TimePoint end = clock.Now() + std::chrono::hours(1);
  Principal creator{
      account(), "key_c", {scopes::kAuditRead, scopes::kApiKeysWrite}, std::nullopt, end};
  auto inherited = api_keys.CreateFor(creator, {"c", {scopes::kAuditRead}, {}, {}}, ctx);
  BOOST_REQUIRE(inherited.ok());
  BOOST_TEST((inherited->key.expires_at == end));
  BOOST_TEST(api_keys.CreateFor(creator, {"c", {scopes::kAuditRead}, end, {}}, ctx).ok());
  BOOST_TEST(
      api_keys
          .CreateFor(creator, {"c", {scopes::kAuditRead}, end - std::chrono::minutes(1), {}}, ctx)
          .ok());
  auto later = api_keys.CreateFor(
      creator, {"c", {scopes::kAuditRead}, end + std::chrono::seconds(1), {}}, ctx);
  BOOST_TEST((later.status().code() == StatusCode::kPermissionDenied));
  // The principal carries the key's expiry.
  BOOST_TEST((api_keys.Authenticate(inherited->token, ctx)->expires_at == end));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
