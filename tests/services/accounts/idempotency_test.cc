#include "services/accounts/idempotency.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

using Kind = IdempotencyDecision::Kind;
using testing::OpenDb;
using testing::TempDir;

struct KeysFixture {
  TempDir dir;
  std::unique_ptr<Database> db = OpenDb(dir);
  FakeClock clock{1'700'000'000};
  IdempotencyKeys keys{*db, clock};

  KeysFixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "idempotency", IdempotencyKeys::Migrations()).ok());
  }

  // The kind Begin decides; the lease of a kRun in `last_lease`.
  Kind Begin(const std::string& account, const std::string& key, const std::string& request) {
    auto d = keys.Begin(account, key, request);
    BOOST_REQUIRE(d.ok());
    last_lease = d->lease;
    return d->kind;
  }
  std::string last_lease;
};

BOOST_FIXTURE_TEST_SUITE(idempotency, KeysFixture)

BOOST_AUTO_TEST_CASE(first_use_runs_then_the_same_request_replays_the_stored_response) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", last_lease, 201, R"({"id":"x"})").ok());
  auto again = keys.Begin("acct_a", "k1", "r1");
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((again->kind == Kind::kReplay));
  BOOST_TEST(again->status == 201);
  BOOST_TEST(again->response == R"({"id":"x"})");
}

BOOST_AUTO_TEST_CASE(a_different_request_with_the_same_key_is_a_mismatch) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kMismatch));
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", last_lease, 201, "{}").ok());
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kMismatch));
}

BOOST_AUTO_TEST_CASE(keys_belong_to_one_account) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_TEST((Begin("acct_b", "k1", "r2") == Kind::kRun));
  BOOST_TEST((Begin("", "k1", "r3") == Kind::kRun));  // the operator
}

BOOST_AUTO_TEST_CASE(a_running_request_holds_the_key_until_its_lease_ends) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  auto busy = keys.Begin("acct_a", "k1", "r1");
  BOOST_REQUIRE(busy.ok());
  BOOST_TEST((busy->kind == Kind::kInProgress));
  BOOST_TEST(busy->retry_after == 1);
  // Its server died: after the lease a retry runs the request again.
  clock.Advance(IdempotencyKeys::kLease);
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kInProgress));
}

BOOST_AUTO_TEST_CASE(a_released_key_runs_again) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_REQUIRE(keys.Release("acct_a", "k1", last_lease).ok());
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kRun));
}

BOOST_AUTO_TEST_CASE(keys_expire_after_24_hours_and_are_purged) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", last_lease, 201, "{}").ok());
  clock.Advance(IdempotencyKeys::kRetention - std::chrono::seconds(1));
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kMismatch));
  BOOST_TEST(*keys.Purge() == 0);
  clock.Advance(std::chrono::seconds(1));
  // Expired: the key is free for a new request, even before the purge.
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kRun));
  BOOST_REQUIRE(keys.Begin("acct_a", "k2", "r9").ok());
  clock.Advance(IdempotencyKeys::kRetention + std::chrono::seconds(1));
  BOOST_TEST(*keys.Purge() == 2);
  BOOST_TEST((*db->Query("SELECT COUNT(*) FROM idempotency_keys"))[0].Int(0) == 0);
}

BOOST_AUTO_TEST_CASE(a_request_whose_lease_was_taken_over_can_neither_complete_nor_release) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  std::string slow = last_lease;
  // Still running after its lease: a retry of the same request takes over.
  clock.Advance(IdempotencyKeys::kLease);
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  std::string retry = last_lease;
  BOOST_TEST(slow != retry);
  // The slow one failing must not free the key under the retry...
  BOOST_REQUIRE(keys.Release("acct_a", "k1", slow).ok());
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kInProgress));
  // ...nor its success become the answer.
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", slow, 201, R"({"by":"slow"})").ok());
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kInProgress));
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", retry, 201, R"({"by":"retry"})").ok());
  auto replay = keys.Begin("acct_a", "k1", "r1");
  BOOST_REQUIRE(replay.ok());
  BOOST_TEST((replay->kind == Kind::kReplay));
  BOOST_TEST(replay->response == R"({"by":"retry"})");
}

BOOST_AUTO_TEST_CASE(an_expired_key_taken_by_another_request_ignores_the_first) {
  BOOST_TEST((Begin("acct_a", "k1", "r1") == Kind::kRun));
  std::string first = last_lease;
  clock.Advance(IdempotencyKeys::kRetention);
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kRun));
  BOOST_REQUIRE(keys.Complete("acct_a", "k1", first, 201, R"({"late":true})").ok());
  BOOST_TEST((Begin("acct_a", "k1", "r2") == Kind::kInProgress));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
