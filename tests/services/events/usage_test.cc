#include "services/events/usage.h"

#include <boost/test/unit_test.hpp>

#include "common/ids.h"
#include "services/events/event_types.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey::testing {
namespace {

struct UsageFixture : AccountsFixture {
  bool migrated = ApplyMigrations(*db, "usage", UsageService::Migrations()).ok();
  UsageService usage{*db, audit, clock, nullptr, std::chrono::seconds(5)};
  std::string account;

  UsageFixture() {
    BOOST_REQUIRE(migrated);
    audit.AddObserver(&usage);
    clock.Set(1'700'000'000 - 1'700'000'000 % 86400 + 3600);  // 01:00 UTC
    account = accounts.Create("acme", ctx)->account.id;
  }
  ~UsageFixture() { audit.ClearObservers(); }

  // A proxy call as the proxy records it.
  void Call(const std::string& credential, const std::string& outcome, int status,
            int64_t latency_ms = 20, int64_t bytes_in = 10, int64_t bytes_out = 100,
            const std::string& key = "key_a") {
    AuditEvent e =
        AuditEvent::For(AuditContext{key, "", ""}, account, "proxy.request", credential, outcome);
    e.details = {{"status", std::to_string(status)},
                 {"latency_ms", std::to_string(latency_ms)},
                 {"bytes_in", std::to_string(bytes_in)},
                 {"bytes_out", std::to_string(bytes_out)}};
    BOOST_REQUIRE(
        db->Transaction([&](SqlExecutor& tx) { return audit.Append(tx, e).status(); }).ok());
  }
  std::vector<UsageRow> Rows(const std::string& granularity, const std::string& kind = "") {
    UsageQuery q;
    q.kind = kind;
    q.granularity = granularity;
    auto rows = usage.Query(account, q);
    BOOST_REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
    // Newest bucket first; the tests read them oldest first.
    for (size_t i = 1; i < rows->size(); ++i) {
      BOOST_REQUIRE((*rows)[i - 1].bucket >= (*rows)[i].bucket);
    }
    return std::vector<UsageRow>(rows->rbegin(), rows->rend());
  }
  int64_t LimitEvents() {
    return Count("SELECT COUNT(*) FROM audit_events WHERE action = ?", {kUsageLimitAction});
  }
};

BOOST_FIXTURE_TEST_SUITE(Usage, UsageFixture)

BOOST_AUTO_TEST_CASE(EveryCallIsCountedInItsHourAndDayIncludingRefusedOnes) {
  Call("openai", "success", 200, 7, 10, 100);
  Call("openai", "success", 404, 30, 20, 200);
  Call("openai", "denied", 0, 0, 30, 0);
  clock.Advance(std::chrono::hours(1));
  Call("openai", "success", 503, 3000, 40, 400);
  Call("openai", "failure", 0, 0, 50, 0);
  auto hours = Rows("hour", "credential");
  BOOST_REQUIRE(hours.size() == 2u);
  BOOST_TEST(hours[0].counts.calls == 3);
  BOOST_TEST(hours[0].counts.denied == 1);
  BOOST_TEST(hours[0].counts.errors_4xx == 1);
  BOOST_TEST(hours[1].counts.calls == 2);
  BOOST_TEST(hours[1].counts.errors_5xx == 1);
  BOOST_TEST(hours[1].counts.failures == 1);
  BOOST_TEST(hours[1].bucket - hours[0].bucket == 3600);
  auto days = Rows("day", "credential");
  BOOST_REQUIRE(days.size() == 1u);
  const UsageCounts& d = days[0].counts;
  BOOST_TEST(d.calls == 5);
  BOOST_TEST(d.bytes_in == 150);
  BOOST_TEST(d.bytes_out == 700);
  // Timed calls only: 7 ms, 30 ms, 3000 ms.
  BOOST_TEST(UsageService::LatencyPercentileMs(d, 0.5) == 50);
  BOOST_TEST(UsageService::LatencyPercentileMs(d, 0.95) == 5000);
  auto by_key = Rows("day", "api_key");
  BOOST_REQUIRE(by_key.size() == 1u);
  BOOST_TEST(by_key[0].key.subject == "key_a");
  BOOST_TEST(by_key[0].counts.calls == 5);
}

BOOST_AUTO_TEST_CASE(HealthChecksAreNotUsageAndUseNoLimitUp) {
  Call("openai", "success", 200, 5, 0, 10, kHealthActor);
  BOOST_TEST(Rows("day").empty());
  BOOST_REQUIRE(usage.SetLimit(account, "credential", "openai", 1, ctx).ok());
  for (int i = 0; i < 3; ++i) BOOST_TEST(usage.Admit(account, "openai", kHealthActor).ok());
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
}

BOOST_AUTO_TEST_CASE(ToolCallsAndTokenFetchesHaveTheirOwnRollups) {
  BOOST_REQUIRE(
      db->Transaction([&](SqlExecutor& tx) -> Status {
          RETURN_IF_ERROR(
              audit.Append(tx, AuditEvent::For(ctx, account, "mcp.tool_call", "sign_token"))
                  .status());
          return audit.Append(tx, AuditEvent::For(ctx, account, "oauth.token.access", "otk_1"))
              .status();
        }).ok());
  BOOST_TEST(Rows("day", "mcp_tool").at(0).key.subject == "sign_token");
  BOOST_TEST(Rows("day", "oauth_token").at(0).counts.calls == 1);
  BOOST_TEST(Rows("day", "credential").empty());
}

BOOST_AUTO_TEST_CASE(QueriesOutsideWhatIsKeptOrMalformedAreRefused) {
  UsageQuery q;
  q.granularity = "week";
  BOOST_TEST(usage.Query(account, q).status().code() == StatusCode::kInvalidArgument);
  q = {};
  q.kind = "nope";
  BOOST_TEST(usage.Query(account, q).status().code() == StatusCode::kInvalidArgument);
  q = {};
  q.granularity = "hour";
  q.from = clock.Now() - std::chrono::hours(24 * 10);
  BOOST_TEST(usage.Query(account, q).status().code() == StatusCode::kInvalidArgument);
  q = {};
  q.from = clock.Now();
  q.to = clock.Now() - std::chrono::hours(1);
  BOOST_TEST(usage.Query(account, q).status().code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(OldBucketsArePurged) {
  Call("openai", "success", 200);
  clock.Advance(std::chrono::hours(24 * 8));
  // The hours (by credential and by key); the days stay for 90 days.
  BOOST_TEST(*usage.Purge() == 2);
  BOOST_TEST(Count("SELECT COUNT(*) FROM usage_rollups WHERE granularity = 'day'") == 2);
  clock.Advance(std::chrono::hours(24 * 90));
  BOOST_TEST(*usage.Purge() == 2);
  BOOST_TEST(Count("SELECT COUNT(*) FROM usage_rollups") == 0);
}

BOOST_AUTO_TEST_CASE(ALimitRefusesCallNPlusOneUntilTheDayEnds) {
  BOOST_REQUIRE(usage.SetLimit(account, "credential", "openai", 3, ctx).ok());
  for (int i = 0; i < 3; ++i) BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  Status refused = usage.Admit(account, "openai", "key_a");
  BOOST_TEST(refused.code() == StatusCode::kResourceExhausted);
  BOOST_TEST(refused.retry_after() == 23 * 3600);  // it is 01:00 UTC
  BOOST_TEST(refused.message().find("3 calls") != std::string::npos);
  BOOST_TEST(usage.Admit(account, "anthropic", "key_a").ok());  // another credential
  BOOST_TEST(!usage.Admit(account, "openai", "key_b").ok());
  BOOST_TEST(LimitEvents() == 1);  // one event per window, however many refusals
  clock.Advance(std::chrono::hours(23));
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  for (int i = 0; i < 2; ++i) BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  BOOST_TEST(!usage.Admit(account, "openai", "key_a").ok());
  BOOST_TEST(LimitEvents() == 2);  // a new day, a new event
  auto raised = EventsFor(AuditEvent::For(ctx, account, kUsageLimitAction, "credential:openai"));
  BOOST_TEST(raised.at(0).type == "usage.limit_reached");
}

BOOST_AUTO_TEST_CASE(ALimitCountsCallsOtherReplicasMade) {
  Call("openai", "success", 200);
  Call("openai", "success", 200);
  Call("openai", "denied", 0);  // refused calls do not use the limit up
  BOOST_REQUIRE(usage.SetLimit(account, "credential", "openai", 3, ctx).ok());
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  BOOST_TEST(!usage.Admit(account, "openai", "key_a").ok());
  auto limits = *usage.Limits(account);
  BOOST_REQUIRE(limits.size() == 1u);
  BOOST_TEST(limits[0].used_today == 2);  // the admitted call is not on record yet
}

BOOST_AUTO_TEST_CASE(AnApiKeyLimitCountsOnlyThatKey) {
  const std::string key_b = NewId("key");
  BOOST_REQUIRE(usage.SetLimit(account, "api_key", key_b, 1, ctx).ok());
  BOOST_TEST(usage.Admit(account, "openai", key_b).ok());
  BOOST_TEST(!usage.Admit(account, "anthropic", key_b).ok());
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
}

BOOST_AUTO_TEST_CASE(RemovingALimitLetsCallsThrough) {
  BOOST_REQUIRE(usage.SetLimit(account, "credential", "openai", 1, ctx).ok());
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  BOOST_TEST(!usage.Admit(account, "openai", "key_a").ok());
  BOOST_REQUIRE(usage.SetLimit(account, "credential", "openai", std::nullopt, ctx).ok());
  BOOST_TEST(usage.Admit(account, "openai", "key_a").ok());
  BOOST_TEST(usage.SetLimit(account, "credential", "openai", std::nullopt, ctx).code() ==
             StatusCode::kNotFound);
  BOOST_TEST(usage.SetLimit(account, "secret", "x", 1, ctx).code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey::testing
