#include "services/accounts/accounts.h"

#include "services/accounts/scopes.h"
#include "tests/services/accounts/fixture.h"

namespace latchkey {
namespace {

BOOST_FIXTURE_TEST_SUITE(AccountsTest, testing::AccountsFixture)

BOOST_AUTO_TEST_CASE(CreateMakesDataKeyFirstKeyAndAuditTrail) {
  auto created = accounts.Create("acme", ctx);
  BOOST_REQUIRE(created.ok());
  const std::string& id = created->account.id;
  BOOST_TEST(id.rfind("acct_", 0) == 0u);
  BOOST_TEST(created->first_key.key.scopes.size() == scopes::All().size());
  BOOST_TEST(Count("SELECT COUNT(*) FROM data_keys WHERE account_id = ?", {id}) == 1);
  auto events = audit.List(*db, AuditFilter{id});
  BOOST_REQUIRE(events.ok());
  BOOST_REQUIRE(events->events.size() == 2u);
  BOOST_TEST(events->events[1].action == "account.create");
  BOOST_TEST(events->events[0].action == "api_key.create");
  BOOST_TEST(accounts.Get(id)->name == "acme");
}

BOOST_AUTO_TEST_CASE(BadNamesAreRejectedAndNothingIsWritten) {
  for (std::string bad : {std::string(""), std::string(101, 'x'), std::string("a\nb")}) {
    BOOST_TEST((accounts.Create(bad, ctx).status().code() == StatusCode::kInvalidArgument));
  }
  BOOST_TEST(Count("SELECT COUNT(*) FROM accounts") == 0);
  BOOST_TEST(Count("SELECT COUNT(*) FROM audit_events") == 0);
}

BOOST_AUTO_TEST_CASE(DeleteRemovesEveryOwnedRowAndLeavesOthers) {
  BOOST_REQUIRE(db->Execute("CREATE TABLE widgets (account_id TEXT, v TEXT)", {}).ok());
  accounts.RegisterOwnedTable("widgets");
  auto a = *accounts.Create("a", ctx);
  auto b = *accounts.Create("b", ctx);
  BOOST_REQUIRE(
      db->Execute("INSERT INTO widgets VALUES (?, 'x'), (?, 'y')", {a.account.id, b.account.id})
          .ok());
  BOOST_REQUIRE(accounts.Delete(a.account.id, ctx).ok());
  for (const char* table :
       {"accounts WHERE id", "api_keys WHERE account_id", "data_keys WHERE account_id",
        "audit_events WHERE account_id", "widgets WHERE account_id"}) {
    BOOST_TEST(Count(std::string("SELECT COUNT(*) FROM ") + table + " = ?", {a.account.id}) == 0,
               table);
  }
  BOOST_TEST(Count("SELECT COUNT(*) FROM widgets WHERE account_id = ?", {b.account.id}) == 1);
  BOOST_TEST(Count("SELECT COUNT(*) FROM api_keys WHERE account_id = ?", {b.account.id}) == 1);
  auto system = audit.List(*db, AuditFilter{kSystemChain});
  BOOST_REQUIRE(system->events.size() == 1u);
  BOOST_TEST(system->events[0].action == "account.delete");
  BOOST_TEST(system->events[0].resource == a.account.id);
  BOOST_TEST((accounts.Delete(a.account.id, ctx).code() == StatusCode::kNotFound));
  BOOST_TEST((accounts.Get(a.account.id).status().code() == StatusCode::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
