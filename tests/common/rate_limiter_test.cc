#include "common/rate_limiter.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  RateLimiter limiter{1000};
  RateLimiter::Time t0 = RateLimiter::Time() + 100s;
  RateLimit two_per_second{2, 4};
};

BOOST_FIXTURE_TEST_SUITE(RateLimiterTest, Fixture)

BOOST_AUTO_TEST_CASE(AllowsTheBurstThenRefusesWithRetryAfter) {
  for (int i = 0; i < 4; ++i) BOOST_TEST(limiter.Take("a", two_per_second, t0) == 0);
  BOOST_TEST(limiter.Take("a", two_per_second, t0) == 1);
  BOOST_TEST(limiter.Take("b", two_per_second, t0) == 0);  // buckets are separate
  RateLimit slow{0.1, 1};
  BOOST_TEST(limiter.Take("s", slow, t0) == 0);
  BOOST_TEST(limiter.Take("s", slow, t0) == 10);  // seconds until the next token
}

BOOST_AUTO_TEST_CASE(RefillsAtTheRateUpToTheBurst) {
  for (int i = 0; i < 4; ++i) BOOST_TEST(limiter.Take("a", two_per_second, t0) == 0);
  BOOST_TEST(limiter.Take("a", two_per_second, t0 + 499ms) == 1);
  BOOST_TEST(limiter.Take("a", two_per_second, t0 + 500ms) == 0);
  BOOST_TEST(limiter.Take("a", two_per_second, t0 + 500ms) == 1);
  // A long pause refills to the burst, not beyond it.
  auto later = t0 + 1h;
  for (int i = 0; i < 4; ++i) BOOST_TEST(limiter.Take("a", two_per_second, later) == 0);
  BOOST_TEST(limiter.Take("a", two_per_second, later) == 1);
}

BOOST_AUTO_TEST_CASE(PeekLooksWithoutTaking) {
  RateLimit one{1, 1};
  BOOST_TEST(limiter.Peek("p", one, t0) == 0);
  BOOST_TEST(limiter.Peek("p", one, t0) == 0);
  BOOST_TEST(limiter.Take("p", one, t0) == 0);
  BOOST_TEST(limiter.Peek("p", one, t0) == 1);
  BOOST_TEST(limiter.Peek("p", one, t0 + 1s) == 0);
}

BOOST_AUTO_TEST_CASE(ADisabledLimitAlwaysAllows) {
  for (int i = 0; i < 100; ++i) BOOST_TEST(limiter.Take("x", RateLimit{}, t0) == 0);
}

BOOST_AUTO_TEST_CASE(MemoryStaysBoundedUnderManyNames) {
  RateLimit one{1, 1};
  for (int i = 0; i < 100000; ++i) limiter.Take("n" + std::to_string(i), one, t0);
  // Still answers (the shard was trimmed, not grown without bound).
  BOOST_TEST(limiter.Take("fresh", one, t0) == 0);
}

// Review finding: a flood of new names evicted buckets judged by the
// flood's limit (refilling a strict bucket at once) and then cleared all.
BOOST_AUTO_TEST_CASE(AFloodOfNamesDoesNotRefillAStrictBucket) {
  RateLimiter small(160);  // 10 per shard
  RateLimit strict{1.0 / 3600, 1};
  BOOST_TEST(small.Take("fail:victim", strict, t0) == 0);
  BOOST_TEST(small.Take("fail:victim", strict, t0) > 0);
  RateLimit generous{1000, 1};
  for (int i = 0; i < 5000; ++i) {
    small.Take("ip:" + std::to_string(i), generous, t0 + 1s + i * 2ms);
  }
  // The flood's buckets refill (and go) by their own limit; the strict one
  // keeps its state.
  BOOST_TEST(small.Take("fail:victim", strict, t0 + 20s) > 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
