#include "common/audit_writer.h"

#include <boost/test/unit_test.hpp>
#include <future>
#include <thread>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  FakeClock clock{1'700'000'000};
  AuditLog audit{clock};
  bool migrated = ApplyMigrations(*db, "audit", AuditLog::Migrations()).ok();
  AuditWriter writer{*db, audit};

  static AuditEvent Event(const std::string& chain, const std::string& resource) {
    AuditEvent e;
    e.account_id = chain;
    e.actor = "key_x";
    e.action = "thing.use";
    e.resource = resource;
    e.outcome = "success";
    return e;
  }
  size_t Stored(const std::string& chain) {
    AuditFilter f;
    f.account_id = chain;
    return audit.List(*db, f)->events.size();
  }
};

BOOST_FIXTURE_TEST_SUITE(AuditWriterTest, Fixture)

BOOST_AUTO_TEST_CASE(ReadsThroughItSeeEveryEventQueuedBefore) {
  BOOST_REQUIRE(migrated);
  for (int i = 0; i < 20; ++i) writer.Queue(Event("acct_a", "r" + std::to_string(i)));
  AuditFilter f;
  f.account_id = "acct_a";
  f.limit = 100;
  auto page = writer.List(f);
  BOOST_REQUIRE(page.ok());
  BOOST_TEST(page->events.size() == 20u);
  BOOST_TEST(page->events.front().resource == "r19");  // newest first, in queue order
  BOOST_TEST(writer.Verify("acct_a")->ok);
}

BOOST_AUTO_TEST_CASE(HooksWriteInsideTheCommitUntilRemoved) {
  BOOST_REQUIRE(migrated);
  BOOST_REQUIRE(db->Execute("CREATE TABLE uses (resource TEXT)", {}).ok());
  int handle = writer.AddCommitHook([](SqlExecutor& tx, const std::vector<PendingEvent>& batch) {
    for (const PendingEvent& p : batch) {
      if (p.tag == 0) continue;
      RETURN_IF_ERROR(
          tx.Execute("INSERT INTO uses (resource) VALUES (?)", {p.event.resource}).status());
    }
    return Status::Ok();
  });
  writer.Queue(Event("acct_a", "tagged"), handle);
  writer.Queue(Event("acct_a", "plain"));
  BOOST_TEST(writer.Sync().ok());
  auto rows = db->Query("SELECT resource FROM uses", {});
  BOOST_REQUIRE(rows->size() == 1u);
  BOOST_TEST((*rows)[0].Text(0) == "tagged");
  writer.RemoveCommitHook(handle);
  writer.Queue(Event("acct_a", "after"), handle);
  BOOST_TEST(writer.Sync().ok());
  BOOST_TEST(db->Query("SELECT resource FROM uses", {})->size() == 1u);
  BOOST_TEST(Stored("acct_a") == 3u);
}

BOOST_AUTO_TEST_CASE(ASyncThatTimesOutIsAnErrorAndNothingIsLost) {
  BOOST_REQUIRE(migrated);
  AuditWriterOptions o;
  o.max_pending = 2;
  AuditWriter small(*db, audit, o);
  std::promise<void> held, release;
  std::shared_future<void> released = release.get_future().share();
  std::thread blocker([&] {
    // Holds the database (SQLite: one writer) until released.
    db->Transaction([&](SqlExecutor& tx) -> Status {
        RETURN_IF_ERROR(tx.LockKey("audit:acct_b"));
        RETURN_IF_ERROR(tx.Execute("DELETE FROM audit_events WHERE seq < 0", {}).status());
        held.set_value();
        released.wait();
        return Status::Ok();
      }).IgnoreError();
  });
  held.get_future().wait();
  for (int i = 0; i < 3; ++i) small.Queue(Event("acct_b", "r" + std::to_string(i)));
  Status late = small.Sync(std::chrono::milliseconds(50));
  BOOST_TEST((late.code() == StatusCode::kUnavailable));
  BOOST_TEST(small.Backlogged());
  release.set_value();
  blocker.join();
  BOOST_TEST(small.Sync(std::chrono::seconds(30)).ok());
  BOOST_TEST(!small.Backlogged());
  BOOST_TEST(Stored("acct_b") == 3u);
}

BOOST_AUTO_TEST_CASE(StopCommitsWhatIsQueued) {
  BOOST_REQUIRE(migrated);
  {
    AuditWriter short_lived(*db, audit);
    for (int i = 0; i < 5; ++i) short_lived.Queue(Event("acct_c", "r"));
    BOOST_TEST(short_lived.Stop().ok());
    short_lived.Queue(Event("acct_c", "dropped"));  // after Stop: nobody writes it
  }
  BOOST_TEST(Stored("acct_c") == 5u);
}

BOOST_AUTO_TEST_CASE(StopReportsEventsThatCouldNotBeWritten) {
  BOOST_REQUIRE(migrated);
  AuditWriter failing(*db, audit);
  failing.AddCommitHook([](SqlExecutor&, const std::vector<PendingEvent>&) -> Status {
    return InvalidArgument("refused");
  });
  failing.Queue(Event("acct_d", "r"));
  failing.Queue(Event("acct_d", "r"));
  Status stopped = failing.Stop();
  BOOST_TEST((stopped.code() == StatusCode::kDataLoss));
  BOOST_TEST(stopped.message() == "2 audit events could not be written");
  BOOST_TEST(Stored("acct_d") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
