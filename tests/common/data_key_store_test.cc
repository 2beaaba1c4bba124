#include "common/data_key_store.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  TimePoint now = FromUnix(1'700'000'000);
  Fixture() { BOOST_REQUIRE(ApplyMigrations(*db, "envelope", DataKeyStore::Migrations()).ok()); }
  DataKeyStore::WrappedKey Key(const std::string& master, uint8_t fill) {
    return DataKeyStore::WrappedKey{master, Bytes(40, fill)};
  }
};

BOOST_FIXTURE_TEST_SUITE(DataKeyStoreTest, Fixture)

BOOST_AUTO_TEST_CASE(OneKeyPerAccountReadRewrappedAndDeleted) {
  BOOST_TEST(!DataKeyStore::Get(*db, "acct_a")->has_value());
  BOOST_REQUIRE(DataKeyStore::Insert(*db, "acct_a", Key("k1", 1), now).ok());
  BOOST_REQUIRE(DataKeyStore::Insert(*db, "acct_b", Key("k1", 2), now).ok());
  BOOST_TEST(!DataKeyStore::Insert(*db, "acct_a", Key("k1", 3), now).ok());  // one per account
  auto a = *DataKeyStore::Get(*db, "acct_a");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST((a->master_key_id == "k1" && a->wrapped == Bytes(40, 1)));
  BOOST_REQUIRE(DataKeyStore::Rewrap(*db, "acct_b", Key("k2", 9), now).ok());
  BOOST_TEST((*DataKeyStore::Get(*db, "acct_b"))->wrapped == Bytes(40, 9));
  auto ids = *DataKeyStore::MasterKeyIds(*db);
  std::sort(ids.begin(), ids.end());
  BOOST_TEST((ids == std::vector<std::string>{"k1", "k2"}));
  BOOST_TEST(DataKeyStore::All(*db)->size() == 2u);
  BOOST_REQUIRE(DataKeyStore::Delete(*db, "acct_a").ok());
  BOOST_TEST(*DataKeyStore::Count(*db) == 1);
  BOOST_TEST(!DataKeyStore::Get(*db, "acct_a")->has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
