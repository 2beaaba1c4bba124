#include "services/events/health.h"

#include <boost/test/unit_test.hpp>
#include <deque>

#include "services/events/event_types.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey::testing {
namespace {

// Answers each probe with the next scripted result (the last repeats) and
// keeps the probes it was asked to make.
struct ScriptedProber {
  std::deque<ProbeResult> script = {{200, "", "", 12}};
  std::vector<HealthProbe> seen;
  ProbeResult operator()(const HealthProbe& p) {
    seen.push_back(p);
    ProbeResult r = script.front();
    if (script.size() > 1) script.pop_front();
    return r;
  }
};

struct HealthFixture : AccountsFixture {
  bool migrated = ApplyMigrations(*db, "health", HealthService::Migrations()).ok();
  HealthService health{*db, audit, clock,
                       HealthOptions{.interval = std::chrono::seconds(3600),
                                     .owner = "me",
                                     .batch = 10,
                                     .lease = std::chrono::seconds(120),
                                     .jitter = [] { return 0.5; }}};
  ScriptedProber prober;
  std::string account;

  HealthFixture() {
    BOOST_REQUIRE(migrated);
    audit.AddObserver(&health);
    health.set_prober([this](const HealthProbe& p) { return prober(p); });
    account = accounts.Create("acme", ctx)->account.id;
  }
  ~HealthFixture() { audit.ClearObservers(); }

  void Audited(const std::string& action, const std::string& resource,
               std::vector<std::pair<std::string, std::string>> details) {
    AuditEvent e = AuditEvent::For(ctx, account, action, resource);
    e.details = std::move(details);
    BOOST_REQUIRE(
        db->Transaction([&](SqlExecutor& tx) { return audit.Append(tx, e).status(); }).ok());
  }
  HealthStatus StatusOf(const std::string& credential) {
    return (*health.ForAccount(account))[credential].status;
  }
  int64_t Transitions(const std::string& outcome) {
    return Count("SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = ?",
                 {kCredentialHealthAction, outcome});
  }
};

BOOST_FIXTURE_TEST_SUITE(HealthChecks, HealthFixture)

BOOST_AUTO_TEST_CASE(StoredCredentialsGetARowAndDeletedOnesLoseIt) {
  Audited("credentials.update", "credentials", {{"set", "openai,perplexity"}});
  Audited("secret.create", "sec_1", {{"name", "crm"}, {"type", "api_key"}});
  Audited("oauth.token.create", "otk_1", {{"provider", "github"}});
  auto all = *health.ForAccount(account);
  BOOST_TEST(all.size() == 4u);
  BOOST_TEST(all.count("oauth:otk_1") == 1u);
  for (const auto& [name, h] : all) BOOST_TEST((h.status == HealthStatus::kUnknown));
  Audited("credentials.update", "credentials", {{"removed", "openai"}});
  Audited("secret.delete", "crm", {{"name", "crm"}});
  Audited("oauth.token.delete", "otk_1", {{"provider", "github"}});
  all = *health.ForAccount(account);
  BOOST_TEST(all.size() == 1u);
  BOOST_TEST(all.count("perplexity") == 1u);
}

BOOST_AUTO_TEST_CASE(AReconnectedConnectionForgetsTheOldGrantsVerdict) {
  Audited("oauth.token.create", "otk_1", {{"provider", "github"}});
  BOOST_REQUIRE(db->Execute("UPDATE credential_health SET status = 'unhealthy',"
                            " last_error = 'HTTP 401', next_check_at = ?",
                            {ToUnix(clock.Now()) + 100000})
                    .ok());
  BOOST_TEST((health.ForAccount(account)->at("oauth:otk_1").status == HealthStatus::kUnhealthy));
  Audited("oauth.token.replace", "otk_1", {{"provider", "github"}});
  Health h = health.ForAccount(account)->at("oauth:otk_1");
  BOOST_TEST((h.status == HealthStatus::kUnknown));
  BOOST_TEST(h.last_error.empty());
  BOOST_TEST(Count("SELECT next_check_at FROM credential_health") < ToUnix(clock.Now()) + 100000);
}

BOOST_AUTO_TEST_CASE(FirstTestsAreSpreadOverOneIntervalAndThenRepeat) {
  Audited("credentials.update", "credentials", {{"set", "openai"}});
  BOOST_TEST(*health.RunDue() == 0);
  clock.Advance(std::chrono::seconds(1799));
  BOOST_TEST(*health.RunDue() == 0);
  clock.Advance(std::chrono::seconds(1));  // half the interval (jitter 0.5)
  BOOST_TEST(*health.RunDue() == 1);
  BOOST_TEST(prober.seen.at(0).path == "v1/models");
  BOOST_TEST(prober.seen.at(0).credential == "openai");
  BOOST_TEST((StatusOf("openai") == HealthStatus::kHealthy));
  BOOST_TEST(*health.RunDue() == 0);
  clock.Advance(std::chrono::seconds(3600));  // the interval (spread 0.9-1.1, here 1.0)
  BOOST_TEST(*health.RunDue() == 1);
}

BOOST_AUTO_TEST_CASE(TransitionsRaiseUnhealthyAndRecoveredOnce) {
  prober.script = {{200, "", "", 5}, {401, "", "", 5}, {401, "", "", 5}, {200, "", "", 5}};
  Audited("credentials.update", "credentials", {{"set", "openai"}});
  BOOST_TEST((health.TestNow(account, "provider", "openai", "openai", ctx)->status ==
              HealthStatus::kHealthy));
  auto bad = health.TestNow(account, "provider", "openai", "openai", ctx);
  BOOST_TEST((bad->status == HealthStatus::kUnhealthy));
  BOOST_TEST(bad->last_error.find("401") != std::string::npos);
  BOOST_TEST(health.TestNow(account, "provider", "openai", "openai", ctx).ok());
  BOOST_TEST(Transitions("failure") == 1);  // unhealthy twice, one event
  BOOST_TEST((health.TestNow(account, "provider", "openai", "openai", ctx)->status ==
              HealthStatus::kHealthy));
  BOOST_TEST(Transitions("success") == 1);
  auto events =
      EventsFor(AuditEvent::For(ctx, account, kCredentialHealthAction, "openai", "failure"));
  BOOST_TEST(events.at(0).type == "credential.unhealthy");
}

BOOST_AUTO_TEST_CASE(SlackNeedsOkTrueAndAnExpectedStatusIsExact) {
  prober.script = {{200, R"({"ok":false,"error":"invalid_auth"})", "", 5}};
  Audited("oauth.token.create", "otk_s", {{"provider", "slack"}});
  auto slack = health.TestNow(account, "oauth", "oauth:otk_s", "slack", ctx);
  BOOST_TEST((slack->status == HealthStatus::kUnhealthy));
  BOOST_TEST(prober.seen.back().path == "auth.test");
  prober.script = {{200, "", "", 5}};
  Audited("secret.create", "sec_1", {{"name", "crm"}});
  BOOST_TEST(health.TestNow(account, "secret", "crm", "", ctx).status().code() ==
             StatusCode::kFailedPrecondition);
  BOOST_REQUIRE(health.SetSecretCheck(account, "crm", "https://crm.test/ping", 204, ctx).ok());
  BOOST_TEST((health.TestNow(account, "secret", "crm", "", ctx)->status ==
              HealthStatus::kUnhealthy));  // 200, not 204
  BOOST_TEST(prober.seen.back().url == "https://crm.test/ping");
  BOOST_TEST(health.SetSecretCheck(account, "crm", "ftp://x", 0, ctx).code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(health.SetSecretCheck(account, "crm", "https://crm.test/", 42, ctx).code() ==
             StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(AFailedTransferIsUnhealthyWithItsReason) {
  prober.script = {{0, "", "api.openai.com is not an allowed host", 0}};
  Audited("credentials.update", "credentials", {{"set", "openai"}});
  auto h = health.TestNow(account, "provider", "openai", "openai", ctx);
  BOOST_TEST((h->status == HealthStatus::kUnhealthy));
  BOOST_TEST(h->last_error == "api.openai.com is not an allowed host");
  BOOST_TEST(h->checked_at.has_value());
}

BOOST_AUTO_TEST_CASE(ALeaseHeldElsewhereKeepsATestFromRunningTwice) {
  Audited("credentials.update", "credentials", {{"set", "openai"}});
  clock.Advance(std::chrono::seconds(3600));
  auto other = HealthStore::ClaimDue(*db, clock.Now(), 10, "replica-b",
                                     clock.Now() + std::chrono::seconds(120));
  BOOST_TEST(other->size() == 1u);
  BOOST_TEST(*health.RunDue() == 0);
  BOOST_TEST(prober.seen.empty());
  clock.Advance(std::chrono::seconds(120));  // replica-b died with the lease
  BOOST_TEST(*health.RunDue() == 1);
}

BOOST_AUTO_TEST_CASE(ASecretGivenACheckIsTestedOnSchedule) {
  Audited("secret.create", "sec_1", {{"name", "crm"}, {"type", "api_key"}});
  clock.Advance(std::chrono::hours(24));
  BOOST_TEST(*health.RunDue() == 0);  // nothing to test yet
  BOOST_REQUIRE(health.SetSecretCheck(account, "crm", "https://crm.test/ping", 0, ctx).ok());
  clock.Advance(std::chrono::seconds(1800));  // within one interval (jitter 0.5)
  BOOST_TEST(*health.RunDue() == 1);
  BOOST_TEST(prober.seen.at(0).url == "https://crm.test/ping");
}

BOOST_AUTO_TEST_CASE(ProvidersWithoutATestStayUnknown) {
  Audited("credentials.update", "credentials", {{"set", "perplexity"}});
  clock.Advance(std::chrono::hours(24 * 30));
  BOOST_TEST(*health.RunDue() == 0);
  BOOST_TEST(health.TestNow(account, "provider", "perplexity", "perplexity", ctx).status().code() ==
             StatusCode::kFailedPrecondition);
  BOOST_TEST((StatusOf("perplexity") == HealthStatus::kUnknown));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey::testing
