#include "services/certificates/key_pool.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

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

// Regression: four concurrent 4096-bit creations by one tenant held every
// request thread for seconds.
BOOST_AUTO_TEST_CASE(OnDemandRsaGenerationIsOnePerOwner) {
  KeyPool pool(0);
  Result<AsymmetricKey> first = InvalidArgument("not run");
  std::thread slow([&] { first = pool.Take(KeyAlgorithm::kRs256, 4096, "acct_a"); });
  // Waits for the event (the generation has begun), not for a time.
  while (pool.stats().generating == 0) std::this_thread::yield();
  auto again = pool.Take(KeyAlgorithm::kRs256, 3072, "acct_a");
  BOOST_TEST((again.status().code() == StatusCode::kResourceExhausted));
  // EC keys are cheap and not counted.
  BOOST_TEST(pool.Take(KeyAlgorithm::kEs256, 0, "acct_a").ok());
  slow.join();
  BOOST_TEST(first.ok());
  BOOST_TEST(pool.stats().generating == 0);
  // Done, the owner may generate again.
  BOOST_TEST(pool.Take(KeyAlgorithm::kRs256, 2048, "acct_a").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
