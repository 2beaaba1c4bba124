#include "services/accounts/api_key_store.h"

#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

using testing::OpenDb;
using testing::TempDir;

// The store alone on a real database: hashes are opaque text here.
struct StoreFixture {
  TempDir dir;
  std::unique_ptr<Database> db = OpenDb(dir);
  TimePoint t0 = FromUnix(1'700'000'000);

  StoreFixture() {
    BOOST_REQUIRE(ApplyMigrations(*db, "api_keys", ApiKeyStore::Migrations()).ok());
  }

  ApiKey Key(const std::string& id, const std::string& account, TimePoint created) {
    ApiKey k;
    k.id = id;
    k.account_id = account;
    k.name = "name-" + id;
    k.scopes = {"certificates:read", "proxy"};
    k.created_at = created;
    return k;
  }

  void Insert(const ApiKey& key, const std::string& hash = "hash") {
    Status s = db->Transaction([&](SqlExecutor& tx) { return ApiKeyStore::Insert(tx, key, hash); });
    BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
};

BOOST_FIXTURE_TEST_SUITE(ApiKeyStoreTest, StoreFixture)

BOOST_AUTO_TEST_CASE(InsertedKeyReadsBackWithItsHash) {
  ApiKey key = Key("key_a", "acct_1", t0);
  key.expires_at = t0 + std::chrono::hours(1);
  key.credentials = std::vector<std::string>{"github", "stripe"};
  Insert(key, "abc123");
  auto stored = ApiKeyStore::Get(*db, "key_a");
  BOOST_REQUIRE(stored.ok());
  BOOST_REQUIRE(stored->has_value());
  const StoredApiKey& s = **stored;
  BOOST_TEST(s.secret_hash == "abc123");
  BOOST_TEST(s.key.account_id == "acct_1");
  BOOST_TEST(s.key.name == "name-key_a");
  BOOST_TEST((s.key.scopes == std::vector<std::string>{"certificates:read", "proxy"}));
  BOOST_TEST(ToUnix(s.key.created_at) == ToUnix(t0));
  BOOST_REQUIRE(s.key.expires_at.has_value());
  BOOST_TEST(ToUnix(*s.key.expires_at) == ToUnix(t0) + 3600);
  BOOST_REQUIRE(s.key.credentials.has_value());
  BOOST_TEST((*s.key.credentials == std::vector<std::string>{"github", "stripe"}));
  BOOST_TEST(!s.key.revoked_at.has_value());
  BOOST_TEST(!s.key.last_used_at.has_value());
}

BOOST_AUTO_TEST_CASE(NoRestrictionReadsBackAsNone) {
  Insert(Key("key_a", "acct_1", t0));
  auto stored = ApiKeyStore::Get(*db, "key_a");
  BOOST_REQUIRE(stored.ok() && stored->has_value());
  BOOST_TEST(!(*stored)->key.credentials.has_value());
  BOOST_TEST(!(*stored)->key.expires_at.has_value());
}

BOOST_AUTO_TEST_CASE(GetOfAnUnknownKeyIsEmpty) {
  auto stored = ApiKeyStore::Get(*db, "key_missing");
  BOOST_REQUIRE(stored.ok());
  BOOST_TEST(!stored->has_value());
}

BOOST_AUTO_TEST_CASE(ListActiveIsNewestFirstAndLeavesOutRevokedAndOtherAccounts) {
  Insert(Key("key_old", "acct_1", t0));
  Insert(Key("key_new", "acct_1", t0 + std::chrono::seconds(10)));
  Insert(Key("key_gone", "acct_1", t0 + std::chrono::seconds(20)));
  Insert(Key("key_other", "acct_2", t0));
  auto revoked = ApiKeyStore::Revoke(*db, "acct_1", "key_gone", t0);
  BOOST_REQUIRE(revoked.ok() && *revoked);
  auto keys = ApiKeyStore::ListActive(*db, "acct_1");
  BOOST_REQUIRE(keys.ok());
  BOOST_REQUIRE(keys->size() == 2u);
  BOOST_TEST((*keys)[0].id == "key_new");
  BOOST_TEST((*keys)[1].id == "key_old");
}

BOOST_AUTO_TEST_CASE(RevokeHappensOnceAndOnlyInTheKeysAccount) {
  Insert(Key("key_a", "acct_1", t0));
  BOOST_TEST(*ApiKeyStore::Revoke(*db, "acct_2", "key_a", t0) == false);
  BOOST_TEST(*ApiKeyStore::Revoke(*db, "acct_1", "key_a", t0 + std::chrono::seconds(5)) == true);
  BOOST_TEST(*ApiKeyStore::Revoke(*db, "acct_1", "key_a", t0 + std::chrono::seconds(9)) == false);
  auto stored = ApiKeyStore::Get(*db, "key_a");
  BOOST_REQUIRE(stored.ok() && stored->has_value());
  BOOST_REQUIRE((*stored)->key.revoked_at.has_value());
  BOOST_TEST(ToUnix(*(*stored)->key.revoked_at) == ToUnix(t0) + 5);
}

BOOST_AUTO_TEST_CASE(SetLastUsedIsReadBack) {
  Insert(Key("key_a", "acct_1", t0));
  BOOST_REQUIRE(ApiKeyStore::SetLastUsed(*db, "key_a", t0 + std::chrono::seconds(42)).ok());
  BOOST_REQUIRE(ApiKeyStore::SetLastUsed(*db, "key_missing", t0).ok());
  auto stored = ApiKeyStore::Get(*db, "key_a");
  BOOST_REQUIRE(stored.ok() && stored->has_value());
  BOOST_REQUIRE((*stored)->key.last_used_at.has_value());
  BOOST_TEST(ToUnix(*(*stored)->key.last_used_at) == ToUnix(t0) + 42);
}

BOOST_AUTO_TEST_CASE(DeleteAllRemovesOnlyThatAccountsKeys) {
  Insert(Key("key_a", "acct_1", t0));
  Insert(Key("key_b", "acct_1", t0));
  Insert(Key("key_c", "acct_2", t0));
  Status s = db->Transaction([&](SqlExecutor& tx) { return ApiKeyStore::DeleteAll(tx, "acct_1"); });
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(ApiKeyStore::ListActive(*db, "acct_1")->empty());
  BOOST_TEST(ApiKeyStore::ListActive(*db, "acct_2")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
