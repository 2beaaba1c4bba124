#include "common/audit_log.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  FakeClock clock{1'700'000'000};
  AuditLog audit{clock};
  Fixture() { BOOST_REQUIRE(ApplyMigrations(*db, "audit", AuditLog::Migrations()).ok()); }

  AuditEvent Append(const std::string& chain, const std::string& action,
                    const std::string& resource = "r") {
    AuditEvent e;
    e.account_id = chain;
    e.actor = "key_x";
    e.action = action;
    e.resource = resource;
    e.outcome = "success";
    e.request_id = "req_1";
    e.client_address = "127.0.0.1";
    e.details = {{"name", "n\"q"}};
    std::optional<AuditEvent> out;
    BOOST_REQUIRE(db->Transaction([&](SqlExecutor& tx) -> Status {
                      ASSIGN_OR_RETURN(auto stored, audit.Append(tx, e));
                      out = stored;
                      return Status::Ok();
                    }).ok());
    clock.Advance(std::chrono::seconds(10));
    return *out;
  }
};

BOOST_FIXTURE_TEST_SUITE(AuditLogTest, Fixture)

BOOST_AUTO_TEST_CASE(ChainsEventsPerAccount) {
  AuditEvent a1 = Append("acct_a", "x.one");
  AuditEvent b1 = Append("acct_b", "x.one");
  AuditEvent a2 = Append("acct_a", "x.two");
  BOOST_TEST(a1.seq == 1);
  BOOST_TEST(b1.seq == 1);
  BOOST_TEST(a2.seq == 2);
  BOOST_TEST(a1.prev_hash == std::string(64, '0'));
  BOOST_TEST(a2.prev_hash == a1.hash);
  auto v = *audit.Verify(*db, "acct_a");
  BOOST_TEST(v.ok);
  BOOST_TEST(v.count == 2);
}

BOOST_AUTO_TEST_CASE(ListFiltersAndPaginatesNewestFirst) {
  for (int i = 0; i < 5; ++i) Append("acct_a", i % 2 ? "odd" : "even", "r" + std::to_string(i));
  AuditFilter f;
  f.account_id = "acct_a";
  f.limit = 2;
  auto page1 = *audit.List(*db, f);
  BOOST_REQUIRE(page1.events.size() == 2u);
  BOOST_TEST(page1.events[0].seq == 5);
  BOOST_REQUIRE(page1.next_cursor.has_value());
  f.before_seq = page1.next_cursor;
  auto page2 = *audit.List(*db, f);
  BOOST_TEST(page2.events[0].seq == 3);
  AuditFilter only_odd;
  only_odd.account_id = "acct_a";
  only_odd.action = "odd";
  BOOST_TEST(audit.List(*db, only_odd)->events.size() == 2u);
  AuditFilter window;
  window.account_id = "acct_a";
  window.since = FromUnix(1'700'000'010);
  window.until = FromUnix(1'700'000'030);
  BOOST_TEST(audit.List(*db, window)->events.size() == 2u);
  BOOST_TEST(audit.List(*db, window)->events[0].details[0].second == "n\"q");
}

BOOST_AUTO_TEST_CASE(UpdatesAreRefusedByTheDatabase) {
  Append("acct_a", "x.one");
  auto s = db->Execute("UPDATE audit_events SET action = 'forged'", {});
  BOOST_TEST(!s.ok());
}

BOOST_AUTO_TEST_CASE(VerifyFindsADeletedOrForgedEvent) {
  Append("acct_a", "x.one");
  AuditEvent second = Append("acct_a", "x.two");
  Append("acct_a", "x.three");
  // An attacker with database access drops the trigger and edits a row.
  BOOST_REQUIRE(db->Execute(db->dialect() == SqlDialect::kPostgres
                                ? "DROP TRIGGER audit_events_append_only ON audit_events"
                                : "DROP TRIGGER audit_events_append_only",
                            {})
                    .ok());
  BOOST_REQUIRE(
      db->Execute("UPDATE audit_events SET outcome = 'denied' WHERE id = ?", {second.id}).ok());
  auto v = *audit.Verify(*db, "acct_a");
  BOOST_TEST(!v.ok);
  BOOST_TEST(v.first_broken->id == second.id);
  BOOST_TEST(v.reason == "event hash does not match its contents");

  BOOST_REQUIRE(
      db->Execute("UPDATE audit_events SET outcome = 'success' WHERE id = ?", {second.id}).ok());
  BOOST_TEST(audit.Verify(*db, "acct_a")->ok);
  BOOST_REQUIRE(db->Execute("DELETE FROM audit_events WHERE id = ?", {second.id}).ok());
  auto gap = *audit.Verify(*db, "acct_a");
  BOOST_TEST(!gap.ok);
  BOOST_TEST(gap.reason == "sequence gap before this event");
}

BOOST_AUTO_TEST_CASE(FailsClosedInsideTheCallersTransaction) {
  BOOST_REQUIRE(db->Execute("CREATE TABLE things (id TEXT)", {}).ok());
  BOOST_REQUIRE(db->Execute("DROP TABLE audit_events", {}).ok());
  Status s = db->Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO things VALUES ('t')", {}).status());
    AuditEvent e;
    e.account_id = "acct_a";
    e.action = "thing.create";
    return audit.Append(tx, e).status();
  });
  BOOST_TEST(!s.ok());
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM things", {}))[0].Int(0) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
