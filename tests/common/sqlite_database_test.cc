#include "common/sqlite_database.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<SqliteDatabase> db =
      std::move(*SqliteDatabase::Open(SqliteOptions{dir.file("t.db"), 4, 5000}));
  Fixture() {
    BOOST_REQUIRE(db->Execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, b BLOB)", {}).ok());
  }
};

BOOST_FIXTURE_TEST_SUITE(SqliteDatabaseTest, Fixture)

BOOST_AUTO_TEST_CASE(BindsAndReadsEveryType) {
  Bytes blob = {0, 1, 2, 255};
  BOOST_TEST(*db->Execute("INSERT INTO t VALUES (?, ?, ?)", {"a", int64_t{42}, blob}) == 1);
  BOOST_TEST(*db->Execute("INSERT INTO t VALUES (?, ?, ?)", {"b", nullptr, nullptr}) == 1);
  auto rows = *db->Query("SELECT id, n, b FROM t ORDER BY id", {});
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].Text(0) == "a");
  BOOST_TEST(rows[0].Int(1) == 42);
  BOOST_TEST((rows[0].Blob(2) == blob));
  BOOST_TEST(rows[1].IsNull(1));
}

BOOST_AUTO_TEST_CASE(ParametersAreNeverSqlText) {
  std::string hostile = "x'); DROP TABLE t; --";
  BOOST_TEST(db->Execute("INSERT INTO t (id) VALUES (?)", {hostile}).ok());
  auto rows = *db->Query("SELECT id FROM t WHERE id = ?", {hostile});
  BOOST_TEST(rows.size() == 1u);
}

BOOST_AUTO_TEST_CASE(UniqueViolationIsAlreadyExists) {
  BOOST_TEST(db->Execute("INSERT INTO t (id) VALUES (?)", {"a"}).ok());
  auto again = db->Execute("INSERT INTO t (id) VALUES (?)", {"a"});
  BOOST_TEST((again.status().code() == StatusCode::kAlreadyExists));
}

BOOST_AUTO_TEST_CASE(SyntaxErrorIsInternalWithoutData) {
  auto bad = db->Query("SELEC nonsense", {});
  BOOST_TEST((bad.status().code() == StatusCode::kInternal));
  BOOST_TEST((db->Query("SELECT ?", {}).status().code() == StatusCode::kInternal));
}

BOOST_AUTO_TEST_CASE(FailedTransactionLeavesNothingBehind) {
  Status s = db->Transaction([](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ('x')", {}).status());
    return InvalidArgument("abort");
  });
  BOOST_TEST(s.message() == "abort");
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM t", {}))[0].Int(0) == 0);
  BOOST_TEST(db->Transaction([](SqlExecutor& tx) {
                 return tx.Execute("INSERT INTO t (id) VALUES ('y')", {}).status();
               }).ok());
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM t", {}))[0].Int(0) == 1);
}

BOOST_AUTO_TEST_CASE(ConcurrentWritersAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};  // Boost.Test's checks are not thread-safe
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Status s = db->Transaction([&](SqlExecutor& tx) {
          return tx
              .Execute("INSERT INTO t (id) VALUES (?)",
                       {std::to_string(t) + "-" + std::to_string(i)})
              .status();
        });
        if (!s.ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM t", {}))[0].Int(0) == 100);
}

BOOST_AUTO_TEST_CASE(UsesWalAndFullSync) {
  BOOST_TEST((*db->Query("PRAGMA journal_mode", {}))[0].Text(0) == "wal");
  BOOST_TEST((*db->Query("PRAGMA synchronous", {}))[0].Int(0) == 2);
}

BOOST_AUTO_TEST_CASE(ClosedDatabaseIsUnavailable) {
  db->Close();
  BOOST_TEST((db->Ping().code() == StatusCode::kUnavailable));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
