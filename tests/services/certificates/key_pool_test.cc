#include "services/certificates/key_pool.h"

#include <boost/test/unit_test.hpp>
#include <set>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(KeyPoolTest)

BOOST_AUTO_TEST_CASE(ServesPooledKeysOnceEach) {
  KeyPool pool(2);
  BOOST_REQUIRE(pool.Fill().ok());
  BOOST_TEST(pool.stats().ready == 2u);
  std::set<std::string> kids;
  for (int i = 0; i < 3; ++i) {
    auto key = pool.Take(KeyAlgorithm::kRs256, 2048);
    BOOST_REQUIRE(key.ok());
    BOOST_TEST(key->bits() == 2048);
    kids.insert(*key->Thumbprint());
  }
  BOOST_TEST(kids.size() == 3u);  // never the same key twice
  KeyPoolStats stats = pool.stats();
  BOOST_TEST(stats.hits == 2u);
  BOOST_TEST(stats.misses == 1u);  // the third was generated on demand
  BOOST_TEST(stats.ready == 0u);
}

BOOST_AUTO_TEST_CASE(OtherAlgorithmsAndSizesAreNotPooled) {
  KeyPool pool(1);
  BOOST_REQUIRE(pool.Fill().ok());
  auto ec = pool.Take(KeyAlgorithm::kEs256, 0);
  BOOST_REQUIRE(ec.ok());
  BOOST_TEST(ec->algorithm() == KeyAlgorithm::kEs256);
  BOOST_TEST(pool.stats().ready == 1u);
  BOOST_TEST(pool.Take(KeyAlgorithm::kRs256, 1024).status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(pool.stats().ready == 1u);
}

BOOST_AUTO_TEST_CASE(BackgroundThreadRefillsAndStops) {
  KeyPool pool(1);
  pool.Start();
  // Take() either gets the pooled key or generates one; both are fresh keys.
  auto key = pool.Take(KeyAlgorithm::kRs256, 2048);
  BOOST_REQUIRE(key.ok());
  pool.Stop();  // joins, even mid-generation
  KeyPoolStats stats = pool.stats();
  BOOST_TEST(stats.hits + stats.misses == 1u);
  BOOST_TEST(stats.ready <= 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
