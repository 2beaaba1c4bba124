#include "services/events/webhooks.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "services/events/event_types.h"
#include "services/events/webhook_signer.h"
#include "services/events/webhook_store.h"
#include "tests/services/accounts/fixture.h"
#include "tests/services/events/receiver.h"

namespace latchkey::testing {
namespace {

WebhookOptions TestOptions() {
  WebhookOptions o;
  o.allow_http_hosts = {"127.0.0.1"};
  o.timeout = std::chrono::milliseconds(3000);
  o.jitter = [] { return 0.5; };  // no spread: the schedule exactly
  o.parallelism = 2;
  return o;
}

struct EventsFixture : AccountsFixture {
  bool migrated = ApplyMigrations(*db, "events", WebhookService::Migrations()).ok();
  WebhookService webhooks{*db, envelope, audit, clock, TestOptions()};
  std::string account;
  std::string other;

  EventsFixture() {
    BOOST_REQUIRE(migrated);
    for (const auto& t : WebhookService::OwnedTables()) accounts.RegisterOwnedTable(t);
    audit.AddObserver(&webhooks);
    account = accounts.Create("acme", ctx)->account.id;
    other = accounts.Create("other", ctx)->account.id;
  }
  ~EventsFixture() { audit.ClearObservers(); }

  CreatedWebhook Make(const std::string& url, std::vector<std::string> events = {"*"},
                      const std::string& acct = "") {
    NewWebhook n;
    n.url = url;
    n.events = std::move(events);
    auto created = webhooks.Create(acct.empty() ? account : acct, n, ctx);
    BOOST_REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    return std::move(*created);
  }
  // Raises api_key.created in `acct`.
  void RaiseEvent(const std::string& acct = "") {
    NewApiKey k;
    k.name = "k";
    k.scopes = {"proxy"};
    BOOST_REQUIRE(api_keys.Create(acct.empty() ? account : acct, k, ctx).ok());
  }
  int64_t Deliveries(const std::string& state = "pending") {
    return Count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = ?", {state});
  }
  // Moves the clock to the next due attempt and makes it.
  int Next() {
    auto rows =
        *db->Query("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'");
    if (rows[0].IsNull(0)) return 0;
    int64_t due = rows[0].Int(0);
    if (due > ToUnix(clock.Now())) clock.Advance(std::chrono::seconds(due - ToUnix(clock.Now())));
    return *webhooks.DeliverDue();
  }
};

bool Verifies(const ReceivedRequest& r, const std::string& secret) {
  auto expected = WebhookSignature({secret}, r.Header("webhook-id"),
                                   std::stoll(r.Header("webhook-timestamp")), r.body);
  if (!expected.ok()) return false;
  std::string header = " " + r.Header("webhook-signature") + " ";
  return header.find(" " + *expected + " ") != std::string::npos;
}

BOOST_FIXTURE_TEST_SUITE(Webhooks, EventsFixture)

BOOST_AUTO_TEST_CASE(SignatureMatchesTheStandardWebhooksReferenceVector) {
  // From the Standard Webhooks reference libraries' tests.
  auto sig =
      WebhookSignature({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                       1614265330, R"({"test": 2432232314})");
  BOOST_REQUIRE(sig.ok());
  BOOST_TEST(*sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  BOOST_TEST(!WebhookSignature({"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "m", 1, "").ok());
}

BOOST_AUTO_TEST_CASE(SecretIsWhsecAndBase64Of32Bytes) {
  SecretBytes s = NewWebhookSecret();
  std::string text(s.view());
  BOOST_TEST(text.rfind("whsec_", 0) == 0u);
  auto raw = Base64Decode(text.substr(6));
  BOOST_REQUIRE(raw.ok());
  BOOST_TEST(raw->size() == 32u);
}

BOOST_AUTO_TEST_CASE(CreateRefusesBadInputAndStoresNothing) {
  NewWebhook n;
  n.events = {"*"};
  for (std::string url : {"ftp://x.test/", "http://example.com/hook", "https://", "not a url",
                          "https://user:pw@example.com/"}) {
    n.url = url;
    auto r = webhooks.Create(account, n, ctx);
    BOOST_TEST(r.status().code() == StatusCode::kInvalidArgument, url);
  }
  n.url = "https://example.com/hook";
  n.events = {"certificate.made"};
  BOOST_TEST(webhooks.Create(account, n, ctx).status().message().find("certificate.made") !=
             std::string::npos);
  n.events = {};
  BOOST_TEST(webhooks.Create(account, n, ctx).status().code() == StatusCode::kInvalidArgument);
  n.events = {"*"};
  n.description = std::string(300, 'd');
  BOOST_TEST(webhooks.Create(account, n, ctx).status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(Count("SELECT COUNT(*) FROM webhook_endpoints") == 0);
}

BOOST_AUTO_TEST_CASE(EndpointsPerAccountAreCapped) {
  WebhookOptions o = TestOptions();
  o.max_endpoints = 2;
  WebhookService capped{*db, envelope, audit, clock, o};
  NewWebhook n{"https://example.com/a", {"*"}, "", WebhookFormat::kStandard};
  BOOST_REQUIRE(capped.Create(account, n, ctx).ok());
  BOOST_REQUIRE(capped.Create(account, n, ctx).ok());
  BOOST_TEST(capped.Create(account, n, ctx).status().code() == StatusCode::kFailedPrecondition);
  BOOST_TEST(capped.Create(other, n, ctx).ok());
}

BOOST_AUTO_TEST_CASE(AnotherAccountsEndpointIsNotFound) {
  auto mine = Make("https://example.com/a");
  BOOST_TEST(webhooks.Get(other, mine.endpoint.id).status().code() == StatusCode::kNotFound);
  BOOST_TEST(webhooks.Delete(other, mine.endpoint.id, ctx).code() == StatusCode::kNotFound);
  BOOST_TEST(webhooks.RotateSecret(other, mine.endpoint.id, ctx).status().code() ==
             StatusCode::kNotFound);
  BOOST_TEST(webhooks.Get(account, mine.endpoint.id).ok());
}

BOOST_AUTO_TEST_CASE(AChangeWritesItsMessageInItsOwnTransaction) {
  Make("https://example.com/a", {"api_key.created"});
  RaiseEvent();
  BOOST_TEST(Deliveries() == 1);
  // A change that rolls back takes its message with it.
  Status failed = db->Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(
        audit.Append(tx, AuditEvent::For(ctx, account, "api_key.create", "key_x")).status());
    return Internal("the change failed after its audit event");
  });
  BOOST_TEST(!failed.ok());
  BOOST_TEST(Deliveries() == 1);
  BOOST_TEST(Count("SELECT COUNT(*) FROM webhook_messages") == 1);
}

BOOST_AUTO_TEST_CASE(OnlySubscribedEnabledEndpointsOfTheAccountGetAMessage) {
  auto keys = Make("https://example.com/keys", {"api_key.created"});
  Make("https://example.com/certs", {"certificate.created"});
  auto off = Make("https://example.com/off", {"*"});
  Make("https://example.com/other", {"*"}, other);
  BOOST_REQUIRE(webhooks.Update(account, off.endpoint.id, {.enabled = false}, ctx).ok());
  RaiseEvent();
  auto rows = *db->Query("SELECT endpoint_id FROM webhook_deliveries");
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].Text(0) == keys.endpoint.id);
}

BOOST_AUTO_TEST_CASE(DeliveryIsSignedAndCarriesNoSecret) {
  Receiver receiver({200});
  auto hook = Make(receiver.url());
  RaiseEvent();
  BOOST_TEST(*webhooks.DeliverDue() == 1);
  auto got = receiver.requests();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(Verifies(got[0], std::string(hook.secret.view())));
  BOOST_TEST(got[0].Header("webhook-id").rfind("msg_", 0) == 0u);
  BOOST_TEST(got[0].Header("content-type") == "application/json");
  auto body = nlohmann::json::parse(got[0].body);
  BOOST_TEST(body["type"] == "api_key.created");
  BOOST_TEST(body["data"]["accountId"] == account);
  BOOST_TEST(body["data"]["apiKeyId"].get<std::string>().rfind("key_", 0) == 0u);
  BOOST_TEST(got[0].body.find("lk_") == std::string::npos);
  BOOST_TEST(Deliveries("delivered") == 1);
  BOOST_TEST(*webhooks.DeliverDue() == 0);  // delivered once
}

BOOST_AUTO_TEST_CASE(FailuresAreRetriedOnScheduleUntilDelivered) {
  Receiver receiver({500, 500, 200});
  auto hook = Make(receiver.url());
  RaiseEvent();
  BOOST_TEST(*webhooks.DeliverDue() == 1);  // 500
  BOOST_TEST(*webhooks.DeliverDue() == 0);  // not due yet
  clock.Advance(std::chrono::seconds(4));
  BOOST_TEST(*webhooks.DeliverDue() == 0);
  clock.Advance(std::chrono::seconds(1));   // 5 s after the first
  BOOST_TEST(*webhooks.DeliverDue() == 1);  // 500
  clock.Advance(std::chrono::seconds(29));
  BOOST_TEST(*webhooks.DeliverDue() == 0);
  clock.Advance(std::chrono::seconds(1));   // 30 s after the second
  BOOST_TEST(*webhooks.DeliverDue() == 1);  // 200
  auto got = receiver.requests();
  BOOST_REQUIRE(got.size() == 3u);
  for (const auto& r : got) {
    BOOST_TEST(r.Header("webhook-id") == got[0].Header("webhook-id"));
    BOOST_TEST(Verifies(r, std::string(hook.secret.view())));
  }
  auto list = *webhooks.Deliveries(account, hook.endpoint.id, 10, {});
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST((list[0].state == DeliveryState::kDelivered));
  BOOST_REQUIRE(list[0].attempt_log.size() == 3u);
  BOOST_TEST(*list[0].attempt_log[0].status_code == 500);
  BOOST_TEST(!list[0].attempt_log[0].error.empty());
  BOOST_TEST(*list[0].attempt_log[2].status_code == 200);
  BOOST_TEST(list[0].attempt_log[2].error.empty());
  BOOST_TEST(!webhooks.Get(account, hook.endpoint.id)->failing_since.has_value());
}

BOOST_AUTO_TEST_CASE(RetryDelaysFollowTheScheduleWithTwentyPercentJitter) {
  std::vector<int64_t> expected = {5, 30, 120, 600, 3600, 21600, 21600};
  for (size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST(WebhookService::RetryDelay(static_cast<int64_t>(i + 1), 0.5).count() == expected[i]);
  }
  BOOST_TEST(WebhookService::RetryDelay(1, 0.0).count() == 4);
  BOOST_TEST(WebhookService::RetryDelay(1, 1.0).count() == 6);
}

BOOST_AUTO_TEST_CASE(AfterThreeDaysTheDeliveryFailsAndTheEndpointIsDisabled) {
  Receiver down({503});
  Receiver watcher({200});
  auto failing = Make(down.url(), {"api_key.created"});
  auto other_hook = Make(watcher.url(), {"webhook.endpoint.disabled"});
  RaiseEvent();
  while (Next() > 0) {
  }
  // At once, after 5 s, 30 s, 2 min, 10 min, 1 h, then 6-hourly, and last
  // at 3 days.
  BOOST_TEST(down.requests().size() == 18u);
  auto endpoint = *webhooks.Get(account, failing.endpoint.id);
  BOOST_TEST(!endpoint.enabled);
  BOOST_TEST(endpoint.disabled_reason.find("failing since") == 0u);
  auto list = *webhooks.Deliveries(account, failing.endpoint.id, 10, {});
  BOOST_TEST((list[0].state == DeliveryState::kFailed));
  BOOST_TEST(!list[0].next_attempt_at.has_value());
  auto told = watcher.requests();
  BOOST_REQUIRE(told.size() == 1u);
  auto body = nlohmann::json::parse(told[0].body);
  BOOST_TEST(body["type"] == "webhook.endpoint.disabled");
  BOOST_TEST(body["data"]["webhookId"] == failing.endpoint.id);
  (void)other_hook;
  // Enabling it again starts a fresh streak.
  auto again = webhooks.Update(account, failing.endpoint.id, {.enabled = true}, ctx);
  BOOST_TEST(again->enabled);
  BOOST_TEST(!again->failing_since.has_value());
}

BOOST_AUTO_TEST_CASE(AHeldLeaseKeepsOtherSendersOff) {
  Receiver receiver({200});
  Make(receiver.url());
  RaiseEvent();
  std::string id = (*db->Query("SELECT id FROM webhook_deliveries"))[0].Text(0);
  TimePoint now = clock.Now();
  bool claimed = false;
  BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) -> Status {
                    ASSIGN_OR_RETURN(claimed, WebhookStore::Claim(tx, id, "replica-b", now,
                                                                  now + std::chrono::seconds(60)));
                    return Status::Ok();
                  }).ok());
  BOOST_REQUIRE(claimed);
  BOOST_TEST(*webhooks.DeliverOne(id) == false);
  BOOST_TEST(*webhooks.DeliverDue() == 0);
  BOOST_TEST(receiver.requests().empty());
  clock.Advance(std::chrono::seconds(60));  // the other replica's lease ran out
  BOOST_TEST(*webhooks.DeliverDue() == 1);
  BOOST_TEST(receiver.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(ConcurrentSendersMakeEachAttemptOnce) {
  Receiver receiver({200});
  Make(receiver.url());
  for (int i = 0; i < 12; ++i) RaiseEvent();
  WebhookOptions o = TestOptions();
  o.owner = "replica-b";
  WebhookService b{*db, envelope, audit, clock, o};
  int made_a = 0, made_b = 0;
  std::thread ta([&] { made_a = *webhooks.DeliverDue(); });
  std::thread tb([&] { made_b = *b.DeliverDue(); });
  ta.join();
  tb.join();
  BOOST_TEST(made_a + made_b == 12);
  auto got = receiver.requests();
  BOOST_TEST(got.size() == 12u);
  std::set<std::string> ids;
  for (const auto& r : got) ids.insert(r.Header("webhook-id"));
  BOOST_TEST(ids.size() == 12u);
}

BOOST_AUTO_TEST_CASE(ARotatedSecretSignsAlongsideTheNewOneForADay) {
  Receiver receiver({200});
  auto hook = Make(receiver.url());
  std::string old_secret(hook.secret.view());
  auto rotated = webhooks.RotateSecret(account, hook.endpoint.id, ctx);
  BOOST_REQUIRE(rotated.ok());
  std::string new_secret(rotated->view());
  BOOST_TEST(new_secret != old_secret);
  RaiseEvent();
  BOOST_TEST(*webhooks.DeliverDue() == 1);
  clock.Advance(std::chrono::hours(24));
  RaiseEvent();
  BOOST_TEST(*webhooks.DeliverDue() == 1);
  auto got = receiver.requests();
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(Verifies(got[0], old_secret));
  BOOST_TEST(Verifies(got[0], new_secret));
  BOOST_TEST(!Verifies(got[1], old_secret));  // a day later only the new one signs
  BOOST_TEST(Verifies(got[1], new_secret));
}

BOOST_AUTO_TEST_CASE(ManualRetryAttemptsAFailedDeliveryOnceMore) {
  Receiver receiver({500, 500, 200});
  auto hook = Make(receiver.url());
  auto first = webhooks.SendTest(account, hook.endpoint.id, ctx);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(first->type == "webhook.test");
  BOOST_TEST((first->state == DeliveryState::kPending));
  auto second = webhooks.Retry(account, hook.endpoint.id, first->id, ctx);
  BOOST_TEST(second->attempts == 2);
  auto third = webhooks.Retry(account, hook.endpoint.id, first->id, ctx);
  BOOST_TEST((third->state == DeliveryState::kDelivered));
  BOOST_TEST(webhooks.Retry(account, hook.endpoint.id, first->id, ctx).status().code() ==
             StatusCode::kFailedPrecondition);
  BOOST_TEST(webhooks.Retry(other, hook.endpoint.id, first->id, ctx).status().code() ==
             StatusCode::kNotFound);
}

BOOST_AUTO_TEST_CASE(RefusedAddressesAreNotConnectedTo) {
  Receiver receiver({200});
  WebhookOptions o = TestOptions();
  o.check_address = [](const sockaddr*) -> std::optional<std::string> { return "loopback"; };
  WebhookService strict{*db, envelope, audit, clock, o};
  auto hook = Make(receiver.url());
  auto sent = strict.SendTest(account, hook.endpoint.id, ctx);
  BOOST_REQUIRE(sent.ok());
  BOOST_TEST(sent->attempt_log[0].error.find("loopback") != std::string::npos);
  BOOST_TEST(receiver.requests().empty());
}

BOOST_AUTO_TEST_CASE(SlackEndpointsGetTextWithoutSignature) {
  Receiver receiver({200});
  NewWebhook n{receiver.url(), {"*"}, "", WebhookFormat::kSlack};
  auto hook = webhooks.Create(account, n, ctx);
  RaiseEvent();
  BOOST_TEST(*webhooks.DeliverDue() == 1);
  auto got = receiver.requests();
  BOOST_REQUIRE(got.size() == 1u);
  auto body = nlohmann::json::parse(got[0].body);
  BOOST_TEST(body.size() == 1u);
  BOOST_TEST(body["text"].get<std::string>().find("api_key.created") != std::string::npos);
  BOOST_TEST(got[0].Header("webhook-signature").empty());
}

BOOST_AUTO_TEST_CASE(SecretsAreSealedAtRest) {
  auto hook = Make("https://example.com/a");
  std::string secret(hook.secret.view());
  BOOST_TEST(DatabaseBytes().find(secret.substr(6)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(DeletingTheAccountRemovesItsWebhooks) {
  Make("https://example.com/a");
  RaiseEvent();
  BOOST_REQUIRE(accounts.Delete(account, ctx).ok());
  for (const auto& t : WebhookService::OwnedTables()) {
    BOOST_TEST(Count("SELECT COUNT(*) FROM " + t) == 0, t);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(ChangesMapToEventTypes) {
  AuditContext c{"key_1", "", ""};
  auto one = [&](AuditEvent e) {
    auto raised = EventsFor(e);
    return raised.size() == 1 ? raised[0].type : std::to_string(raised.size());
  };
  BOOST_TEST(one(AuditEvent::For(c, "a", "certificate.rotate", "cert_1")) == "certificate.rotated");
  BOOST_TEST(one(AuditEvent::For(c, "a", "oauth.token.refresh", "otk_1", "failure")) ==
             "oauth.token.refresh_failed");
  BOOST_TEST(one(AuditEvent::For(c, "a", "oauth.token.refresh", "otk_1")) == "0");
  BOOST_TEST(one(AuditEvent::For(c, "a", "proxy.request", "openai")) == "0");
  BOOST_TEST(one(AuditEvent::For(c, "a", kEndpointDisabledAction, "whk_1", "failure")) ==
             "webhook.endpoint.disabled");
  AuditEvent keys = AuditEvent::For(c, "a", "credentials.update", "credentials");
  keys.details = {{"set", "openai"}, {"removed", "anthropic"}};
  auto raised = EventsFor(keys);
  BOOST_REQUIRE(raised.size() == 2u);
  BOOST_TEST(raised[0].type == "credential.updated");
  BOOST_TEST(raised[1].type == "credential.deleted");
  BOOST_TEST(raised[1].data_json.find("anthropic") != std::string::npos);
  for (const auto& t : EventTypes()) BOOST_TEST(IsEventType(t.name));
  BOOST_TEST(!IsEventType("*"));
}

}  // namespace
}  // namespace latchkey::testing
