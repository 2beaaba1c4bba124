#include "common/audit_store.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  Fixture() { BOOST_REQUIRE(ApplyMigrations(*db, "audit", AuditStore::Migrations()).ok()); }
  void Put(const std::string& chain, int64_t seq, const std::string& action, int64_t at) {
    AuditEvent e;
    e.id = "evt_" + chain + std::to_string(seq);
    e.account_id = chain;
    e.seq = seq;
    e.time = FromUnix(at);
    e.action = action;
    e.hash = "h" + std::to_string(seq);
    BOOST_REQUIRE(AuditStore::Insert(*db, e, R"({"k":"v"})").ok());
  }
};

BOOST_FIXTURE_TEST_SUITE(AuditStoreTest, Fixture)

BOOST_AUTO_TEST_CASE(ChainsAreReadHeadFirstFilteredAndWhole) {
  BOOST_TEST(!AuditStore::LockHead(*db, "acct_a")->has_value());
  Put("acct_a", 1, "a.create", 100);
  Put("acct_a", 2, "a.delete", 200);
  Put("acct_a", 3, "a.create", 300);
  Put("acct_b", 1, "a.create", 100);
  auto head = *AuditStore::LockHead(*db, "acct_a");
  BOOST_REQUIRE(head.has_value());
  BOOST_TEST((head->seq == 3 && head->hash == "h3"));

  AuditFilter f{"acct_a"};
  f.action = "a.create";
  auto listed = *AuditStore::List(*db, f, 10);
  BOOST_REQUIRE(listed.size() == 2u);
  BOOST_TEST(listed[0].event.seq == 3);  // newest first
  BOOST_TEST(listed[0].details_json == R"({"k":"v"})");
  BOOST_TEST((listed[0].event.details[0] == std::pair<std::string, std::string>("k", "v")));
  f = AuditFilter{"acct_a"};
  f.since = FromUnix(200);
  f.before_seq = 3;
  listed = *AuditStore::List(*db, f, 10);
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].event.seq == 2);
  BOOST_TEST(AuditStore::List(*db, AuditFilter{"acct_a"}, 2)->size() == 2u);

  auto chain = *AuditStore::Chain(*db, "acct_a");
  BOOST_REQUIRE(chain.size() == 3u);
  BOOST_TEST(chain.front().event.seq == 1);  // oldest first
  BOOST_REQUIRE(AuditStore::DeleteChain(*db, "acct_a").ok());
  BOOST_TEST(AuditStore::Chain(*db, "acct_a")->empty());
  BOOST_TEST(AuditStore::Chain(*db, "acct_b")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
