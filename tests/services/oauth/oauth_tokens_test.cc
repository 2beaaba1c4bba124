#include "services/oauth/oauth_tokens.h"

#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <thread>

#include "common/url.h"
#include "services/oauth/oauth.h"
#include "services/oauth/oauth_token_store.h"
#include "services/oauth/refresh_scheduler.h"
#include "tests/services/accounts/fixture.h"
#include "tests/services/oauth/token_server.h"

namespace latchkey {
namespace {

using testing::TokenRequest;
using testing::TokenServer;

constexpr char kClientSecret[] = "planted-client-secret-0a1b2c";

std::string Grant(const std::string& access, const std::string& refresh, int expires_in) {
  std::string out = R"({"access_token":")" + access + R"(","token_type":"Bearer")";
  if (!refresh.empty()) out += R"(,"refresh_token":")" + refresh + "\"";
  if (expires_in > 0) out += R"(,"expires_in":)" + std::to_string(expires_in);
  return out + "}";
}

struct Fixture : testing::AccountsFixture {
  std::mutex mu;
  std::function<std::pair<int, std::string>(const TokenRequest&)> answer = [](const TokenRequest&) {
    return std::make_pair(200, Grant("at-new", "", 3600));
  };
  TokenServer server{[this](const TokenRequest& r) {
    std::function<std::pair<int, std::string>(const TokenRequest&)> a;
    {
      std::lock_guard<std::mutex> lock(mu);
      a = answer;
    }
    return a(r);
  }};
  OAuthService oauth{*db, envelope, audit, clock, Providers(), Options()};
  std::string account;
  std::string other;

  Fixture() {
    BOOST_REQUIRE(OAuthService::Migrate(*db).ok());
    for (const auto& t : OAuthService::OwnedTables()) accounts.RegisterOwnedTable(t);
    account = accounts.Create("acme", ctx)->account.id;
    other = accounts.Create("other", ctx)->account.id;
    OAuthClientWrite w;
    w.client_id = "client-1";
    w.client_secret = kClientSecret;
    BOOST_REQUIRE(oauth.clients.Put(account, "google", w, ctx).ok());
  }

  OAuthProviders Providers() {
    auto p = OAuthProviders::WithOverrides(R"({"google": {"tokenUrl": ")" + server.url("/token") +
                                           R"(", "revocationUrl": ")" + server.url("/revoke") +
                                           R"("}})");
    BOOST_REQUIRE(p.ok());
    return std::move(*p);
  }
  static OAuthTokenOptions Options() {
    OAuthTokenOptions o;
    o.first_backoff = std::chrono::seconds(10);
    o.owner = "own_this_process";
    return o;
  }
  void Answer(std::function<std::pair<int, std::string>(const TokenRequest&)> a) {
    std::lock_guard<std::mutex> lock(mu);
    answer = std::move(a);
  }

  std::string Store(int expires_in, const std::string& refresh = "rt-1",
                    const std::string& access = "at-1", const std::string& identifier = "user-1") {
    TokenGrant g;
    g.access_token = access;
    g.refresh_token = refresh;
    if (expires_in > 0) g.expires_in = expires_in;
    const OAuthProvider& google = *oauth.providers.Find("google");
    auto ids = TransactionValue<std::vector<std::string>>(*db, [&](SqlExecutor& tx) {
      return oauth.tokens.Store(tx, account, google, identifier, g, {"openid"}, ctx);
    });
    BOOST_REQUIRE_MESSAGE(ids.ok(), ids.status().ToString());
    return (*ids)[0];
  }
  int64_t Column(const std::string& column, const std::string& id) {
    return Count("SELECT " + column + " FROM oauth_tokens WHERE id = ?", {id});
  }
  std::string Status(const std::string& id) { return oauth.tokens.Get(account, id)->status; }
  int64_t Now() { return ToUnix(clock.Now()); }
};

BOOST_FIXTURE_TEST_SUITE(OAuthTokensTest, Fixture)

BOOST_AUTO_TEST_CASE(DueTimeIsTheSmallerMarginWithJitterAndFoundThroughTheIndex) {
  std::string hour = Store(3600, "rt-1", "at-1", "user-1");
  std::string minute = Store(60, "rt-1", "at-1", "user-2");
  std::string forever = Store(0, "rt-1", "at-1", "user-3");
  std::string no_refresh = Store(3600, "", "at-1", "user-4");
  // 5 minutes (up to a fifth more as jitter) before a 1-hour token ends...
  BOOST_TEST(Column("next_refresh_at", hour) <= Now() + 3600 - 300);
  BOOST_TEST(Column("next_refresh_at", hour) >= Now() + 3600 - 360);
  // ...but half the lifetime of a 1-minute token.
  BOOST_TEST(Column("next_refresh_at", minute) <= Now() + 30);
  BOOST_TEST(Column("next_refresh_at", minute) >= Now() + 24);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_tokens WHERE next_refresh_at IS NULL") == 2);
  (void)forever;
  (void)no_refresh;
  BOOST_TEST(ToUnix(**oauth.tokens.NextDue()) == Column("next_refresh_at", minute));
  if (db->dialect() == SqlDialect::kSqlite) {  // PostgreSQL plans by table statistics
    auto plan = db->Query(
        "EXPLAIN QUERY PLAN SELECT id FROM oauth_tokens WHERE next_refresh_at <= ?"
        " ORDER BY next_refresh_at LIMIT 256",
        {Now()});
    BOOST_REQUIRE(plan.ok());
    BOOST_TEST((*plan)[0].Text(3).find("USING INDEX oauth_tokens_due") != std::string::npos);
  }

  BOOST_TEST(*oauth.tokens.RunDue() == 0);
  BOOST_TEST(server.requests() == 0);
  clock.Advance(std::chrono::seconds(30));
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(server.requests() == 1);
  BOOST_TEST(ToUnix(*oauth.tokens.Get(account, minute)->last_refreshed_at) == Now());
}

BOOST_AUTO_TEST_CASE(RotatedRefreshTokenReplacesTheOldOneAndAMissingOneKeepsIt) {
  std::string id = Store(60);
  int n = 0;
  Answer([&n](const TokenRequest&) {
    ++n;
    return std::make_pair(200, n == 1 ? Grant("at-2", "rt-2", 60) : Grant("at-3", "", 60));
  });
  for (int i = 0; i < 3; ++i) {
    clock.Advance(std::chrono::seconds(31));
    BOOST_REQUIRE(*oauth.tokens.RunDue() == 1);
  }
  auto seen = server.seen();
  BOOST_REQUIRE(seen.size() == 3u);
  BOOST_TEST(seen[0].body.find("refresh_token=rt-1") != std::string::npos);
  BOOST_TEST(seen[1].body.find("refresh_token=rt-2") != std::string::npos);
  BOOST_TEST(seen[2].body.find("refresh_token=rt-2") != std::string::npos);  // kept
  BOOST_TEST(seen[0].body.find("grant_type=refresh_token") != std::string::npos);
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr)->access_token == "at-3");
  std::string bytes = DatabaseBytes();
  for (const char* secret : {"rt-2", "at-3", kClientSecret}) {
    BOOST_TEST(bytes.find(secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(ConcurrentCallersShareOneRefresh) {
  std::string id = Store(60);
  clock.Advance(std::chrono::seconds(60));  // expired
  std::mutex gate_mu;
  std::condition_variable gate;
  int started = 0;
  constexpr int kCallers = 8;
  Answer([&](const TokenRequest&) {
    std::unique_lock<std::mutex> lock(gate_mu);
    gate.wait(lock, [&] { return started == kCallers; });  // everyone has asked
    return std::make_pair(200, Grant("at-shared", "rt-2", 60));
  });
  std::vector<std::string> got(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> lock(gate_mu);
        ++started;
      }
      gate.notify_all();
      auto t = oauth.tokens.Access(account, id, &ctx);
      got[i] = t.ok() ? t->access_token : t.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(server.requests() == 1);
  for (const auto& g : got) BOOST_TEST(g == "at-shared");
}

BOOST_AUTO_TEST_CASE(TransientFailuresBackOffThenRefreshFailingOnceExpired) {
  std::string id = Store(60);
  Answer([](const TokenRequest&) { return std::make_pair(503, std::string("{}")); });
  clock.Advance(std::chrono::seconds(31));
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(Status(id) == "active");  // still valid for a while
  int64_t retry = Column("next_refresh_at", id);
  BOOST_TEST(retry >= Now() + 5);
  BOOST_TEST(retry <= Now() + 10);
  BOOST_TEST(*oauth.tokens.RunDue() == 0);  // not again before the backoff ends
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr)->access_token == "at-1");

  clock.Advance(std::chrono::seconds(30));  // expired now
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(Status(id) == "refresh_failing");
  BOOST_TEST(Column("next_refresh_at", id) >= Now() + 10);  // doubled
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr).status().code() == StatusCode::kUnavailable);
  BOOST_TEST(server.requests() == 2);  // the expired Access did not hammer the provider

  Answer([](const TokenRequest&) { return std::make_pair(200, Grant("at-ok", "", 60)); });
  clock.Advance(std::chrono::seconds(21));
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(Status(id) == "active");
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr)->access_token == "at-ok");
}

BOOST_AUTO_TEST_CASE(InvalidGrantStopsRefreshingAndIsAudited) {
  std::string id = Store(60);
  Answer([](const TokenRequest&) {
    return std::make_pair(400, std::string(R"({"error":"invalid_grant"})"));
  });
  clock.Advance(std::chrono::seconds(31));
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(Status(id) == "needs_reauth");
  BOOST_TEST(!*oauth.tokens.NextDue());
  clock.Advance(std::chrono::hours(10));
  BOOST_TEST(*oauth.tokens.RunDue() == 0);
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr).status().code() == StatusCode::kNeedsReauth);
  BOOST_TEST(server.requests() == 1);
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'oauth.token.needs_reauth'"
                   " AND resource = ?",
                   {id}) == 1);
}

BOOST_AUTO_TEST_CASE(AnotherHoldersLeaseIsRespectedUntilItExpires) {
  std::string id = Store(60);
  clock.Advance(std::chrono::seconds(31));
  // Another replica claimed it (as RefreshClaimed does) and died.
  BOOST_REQUIRE(db->Execute("UPDATE oauth_tokens SET lease_owner = 'own_other', lease_until = ?,"
                            " next_refresh_at = ? WHERE id = ?",
                            {Now() + 90, Now() + 90, id})
                    .ok());
  BOOST_TEST(*oauth.tokens.RunDue() == 0);
  BOOST_TEST(server.requests() == 0);
  clock.Advance(std::chrono::seconds(90));
  BOOST_TEST(*oauth.tokens.RunDue() == 1);
  BOOST_TEST(server.requests() == 1);
  BOOST_TEST(
      Count("SELECT COUNT(*) FROM oauth_tokens WHERE id = ? AND lease_owner IS NULL", {id}) == 1);
}

BOOST_AUTO_TEST_CASE(DeleteRevokesTheRefreshTokenFirst) {
  std::string id = Store(3600);
  Answer([](const TokenRequest&) { return std::make_pair(503, std::string("{}")); });
  BOOST_TEST(oauth.tokens.Delete(account, id, true, ctx).status().code() ==
             StatusCode::kUpstreamError);
  BOOST_TEST(oauth.tokens.Get(account, id).ok());  // kept: the grant is still live
  Answer([](const TokenRequest&) { return std::make_pair(200, std::string("{}")); });
  BOOST_TEST(oauth.tokens.Delete(other, id, true, ctx).status().code() == StatusCode::kNotFound);
  BOOST_TEST(*oauth.tokens.Delete(account, id, true, ctx) == "revoked");
  auto seen = server.seen();
  auto form = FormDecode(seen.back().body);
  BOOST_REQUIRE(form);
  BOOST_TEST(seen.back().head.find("POST /revoke") == 0u);
  BOOST_TEST(seen.back().body.find("token=rt-1") != std::string::npos);
  BOOST_TEST(seen.back().body.find("token_type_hint=refresh_token") != std::string::npos);
  BOOST_TEST(oauth.tokens.Get(account, id).status().code() == StatusCode::kNotFound);
  // Already invalid at the provider (400): deleted anyway.
  std::string second = Store(3600);
  Answer([](const TokenRequest&) {
    return std::make_pair(400, std::string(R"({"error":"invalid_token"})"));
  });
  BOOST_TEST(*oauth.tokens.Delete(account, second, true, ctx) == "already_revoked");
  // 429 keeps the token; another 4xx (a refused client) deletes it.
  std::string third = Store(3600);
  Answer([](const TokenRequest&) { return std::make_pair(429, std::string("{}")); });
  BOOST_TEST(oauth.tokens.Delete(account, third, true, ctx).status().code() ==
             StatusCode::kUpstreamError);
  Answer([](const TokenRequest&) {
    return std::make_pair(403, std::string(R"({"error":"unauthorized_client"})"));
  });
  BOOST_TEST(*oauth.tokens.Delete(account, third, true, ctx) == "refused");
  // A 401 about the client, not the token, is a refusal too.
  std::string fifth = Store(3600);
  Answer([](const TokenRequest&) {
    return std::make_pair(401, std::string(R"({"error":"invalid_client"})"));
  });
  BOOST_TEST(*oauth.tokens.Delete(account, fifth, true, ctx) == "refused");
  BOOST_TEST(oauth.tokens.Get(account, third).status().code() == StatusCode::kNotFound);
  std::string fourth = Store(3600);
  size_t sent = server.requests();
  BOOST_TEST(*oauth.tokens.Delete(account, fourth, false, ctx) == "skipped");
  BOOST_TEST(server.requests() == sent);
}

BOOST_AUTO_TEST_CASE(ListPagesNewestFirstAfterAPosition) {
  // Five connections, two of them in the same second (ties go by id).
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) {
    made.push_back(Store(3600, "rt-1", "at-1", "user-" + std::to_string(i)));
    if (i != 1) clock.Advance(std::chrono::seconds(1));
  }
  std::vector<std::string> seen;
  TokenFilter filter;
  filter.limit = 2;
  for (int page = 0; page < 5; ++page) {
    auto list = oauth.tokens.List(account, filter);
    BOOST_REQUIRE(list.ok());
    BOOST_REQUIRE(list->size() <= 2u);
    for (const auto& t : *list) seen.push_back(t.id);
    if (list->size() < 2u) break;
    filter.before = TokenFilter::Position{ToUnix(list->back().created_at), list->back().id};
  }
  BOOST_TEST(seen == std::vector<std::string>(made.rbegin(), made.rend()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(OtherAccountsSeeNothing) {
  std::string id = Store(3600);
  BOOST_TEST(oauth.tokens.Access(other, id, nullptr).status().code() == StatusCode::kNotFound);
  BOOST_TEST(oauth.tokens.Get(other, id).status().code() == StatusCode::kNotFound);
  BOOST_TEST(oauth.tokens.List(other, TokenFilter{})->empty());
  BOOST_TEST(oauth.tokens.List(account, TokenFilter{std::string("user-1"), std::string("google")})
                 ->size() == 1u);
  BOOST_TEST(oauth.tokens.List(account, TokenFilter{std::string("user-2")})->empty());
  BOOST_TEST(oauth.credentials.Resolve(other, id).status().code() == StatusCode::kNotFound);
  auto injection = oauth.credentials.Resolve(account, id);
  BOOST_REQUIRE(injection.ok());
  BOOST_TEST(injection->headers[0].second == "Bearer at-1");
  BOOST_TEST(injection->allowed_hosts == oauth.providers.Find("google")->api_hosts);
}

BOOST_AUTO_TEST_CASE(AuthorizingAgainReplacesTheConnectionsTokensAndKeepsItsId) {
  std::string id = Store(3600, "rt-1", "at-1");
  clock.Advance(std::chrono::seconds(100));
  BOOST_REQUIRE(db->Execute("UPDATE oauth_tokens SET status = 'needs_reauth', failures = 3,"
                            " next_refresh_at = NULL, lease_owner = 'own_other', lease_until = ?",
                            {Now() + 60})
                    .ok());
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr).status().code() == StatusCode::kNeedsReauth);

  BOOST_TEST(Store(7200, "rt-2", "at-2") == id);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_tokens") == 1);
  BOOST_TEST(Status(id) == "active");
  BOOST_TEST(Column("failures", id) == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_tokens WHERE lease_owner IS NULL") == 1);
  BOOST_TEST(Column("next_refresh_at", id) > Now() + 7200 - 400);
  auto info = oauth.tokens.Get(account, id);
  BOOST_TEST(ToUnix(info->created_at) == Now() - 100);  // the connection's, kept
  BOOST_TEST(ToUnix(*info->last_refreshed_at) == Now());
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr)->access_token == "at-2");
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'oauth.token.replace'"
                   " AND resource = ?",
                   {id}) == 1);

  // Another identifier is another connection; the pair finds each.
  std::string second = Store(3600, "rt-3", "at-3", "user-2");
  BOOST_TEST(second != id);
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "google", "user-1", std::nullopt) == id);
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "google", "user-2", std::nullopt) == second);
  for (auto missing : {oauth.tokens.ConnectionId(other, "google", "user-1", std::nullopt),
                       oauth.tokens.ConnectionId(account, "github", "user-1", std::nullopt),
                       oauth.tokens.ConnectionId(account, "google", "user-1", "user")}) {
    BOOST_TEST(missing.status().code() == StatusCode::kNotFound);
  }
}

BOOST_AUTO_TEST_CASE(AReplacedConnectionRefusesTheRefreshThatWasInFlight) {
  std::string id = Store(60, "rt-1", "at-1");
  clock.Advance(std::chrono::seconds(31));
  // Another replica claimed the refresh and is talking to the provider...
  BOOST_REQUIRE(*OAuthTokenStore::Claim(*db, id, "own_other", Now(), Now() + 90));
  // ...when the user authorizes again.
  BOOST_TEST(Store(3600, "rt-2", "at-2") == id);
  RefreshedToken late;
  late.sealed = Bytes{1, 2, 3};
  late.refreshed_at = Now();
  BOOST_TEST(!*OAuthTokenStore::CommitRefresh(*db, id, "own_other", late));
  BOOST_TEST(oauth.tokens.Access(account, id, nullptr)->access_token == "at-2");
}

BOOST_AUTO_TEST_CASE(RowsStoredBeforeConnectionsAreAdoptedNewestFirst) {
  std::string older = Store(3600, "rt-1", "at-1", "user-1");
  std::string newer = Store(3600, "rt-1", "at-1", "user-2");
  // As a database from before connection keys holds them: two rows for one
  // pair, neither keyed.
  BOOST_REQUIRE(db->Execute("UPDATE oauth_tokens SET connection_key = NULL,"
                            " identifier_id = 'user-1'")
                    .ok());
  BOOST_REQUIRE(
      db->Execute("UPDATE oauth_tokens SET created_at = created_at + 5 WHERE id = ?", {newer})
          .ok());
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "google", "user-1", std::nullopt) == newer);
  BOOST_TEST(Store(3600, "rt-2", "at-2", "user-1") == newer);
  BOOST_TEST(Count("SELECT COUNT(*) FROM oauth_tokens WHERE connection_key IS NOT NULL") == 1);
  BOOST_TEST(Store(3600, "rt-3", "at-3", "user-1") == newer);  // now by its key
  BOOST_TEST(oauth.tokens.Access(account, older, nullptr)->access_token == "at-1");
}

BOOST_AUTO_TEST_CASE(SlacksBotAndUserTokensAreTwoConnections) {
  const OAuthProvider& slack = *oauth.providers.Find("slack");
  auto store = [&](const std::string& suffix) {
    TokenGrant g;
    g.access_token = "xoxb-" + suffix;
    g.metadata_json = R"({"token_kind":"bot"})";
    g.user = std::make_unique<TokenGrant>();
    g.user->access_token = "xoxp-" + suffix;
    g.user->metadata_json = R"({"token_kind":"user"})";
    auto ids = TransactionValue<std::vector<std::string>>(*db, [&](SqlExecutor& tx) {
      return oauth.tokens.Store(tx, account, slack, "team-1", g, {}, ctx);
    });
    BOOST_REQUIRE(ids.ok());
    return *ids;
  };
  std::vector<std::string> first = store("1");
  BOOST_REQUIRE(first.size() == 2u);
  BOOST_TEST(store("2") == first, boost::test_tools::per_element());
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "slack", "team-1", std::nullopt) == first[0]);
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "slack", "team-1", "bot") == first[0]);
  BOOST_TEST(*oauth.tokens.ConnectionId(account, "slack", "team-1", "user") == first[1]);
  BOOST_TEST(oauth.tokens.Access(account, first[1], nullptr)->access_token == "xoxp-2");
}

BOOST_AUTO_TEST_CASE(ExpiredTokenWithoutRefreshTokenNeedsReauth) {
  std::string id = Store(60, "");
  clock.Advance(std::chrono::seconds(61));
  BOOST_TEST(Status(id) == "expired");
  auto access = oauth.tokens.Access(account, id, nullptr);
  BOOST_TEST(access.status().code() == StatusCode::kNeedsReauth);
  BOOST_TEST(access.status().message().find("POST /auth/sessions") != std::string::npos);
  BOOST_TEST(server.requests() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(RefreshSchedulerTest)

BOOST_AUTO_TEST_CASE(SleepsUntilTheEarliestDueTimeAtMostMaxSleep) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  TimePoint now = FromUnix(1'700'000'000);
  BOOST_TEST(RefreshScheduler::SleepFor(now + seconds(3), now, seconds(60)) == milliseconds(3000));
  BOOST_TEST(RefreshScheduler::SleepFor(now + seconds(600), now, seconds(60)) ==
             milliseconds(60000));
  BOOST_TEST(RefreshScheduler::SleepFor(std::nullopt, now, seconds(60)) == milliseconds(60000));
  // Due but unclaimable (a failing database): a short pause, not a spin.
  BOOST_TEST(RefreshScheduler::SleepFor(now, now, seconds(60)) == milliseconds(500));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
