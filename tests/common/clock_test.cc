#include "common/clock.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(ClockTest)

BOOST_AUTO_TEST_CASE(FakeClockMovesOnlyWhenAdvanced) {
  FakeClock clock(1000);
  BOOST_TEST(ToUnix(clock.Now()) == 1000);
  clock.Advance(std::chrono::seconds(61));
  BOOST_TEST(ToUnix(clock.Now()) == 1061);
}

BOOST_AUTO_TEST_CASE(FormatsIso8601Utc) {
  BOOST_TEST(FormatIso8601(FromUnix(0)) == "1970-01-01T00:00:00Z");
  BOOST_TEST(FormatIso8601(FromUnix(1700000000)) == "2023-11-14T22:13:20Z");
}

BOOST_AUTO_TEST_CASE(ParsesIso8601WithOffsetsAndFractions) {
  BOOST_TEST(ToUnix(*ParseIso8601("2023-11-14T22:13:20Z")) == 1700000000);
  BOOST_TEST(ToUnix(*ParseIso8601("2023-11-14T22:13:20.123Z")) == 1700000000);
  BOOST_TEST(ToUnix(*ParseIso8601("2023-11-15T00:13:20+02:00")) == 1700000000);
  BOOST_TEST(ToUnix(*ParseIso8601("2023-11-14T21:13:20-01:00")) == 1700000000);
}

BOOST_AUTO_TEST_CASE(RejectsMalformedTimestamps) {
  for (const char* bad :
       {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z",
        "2023-11-14T25:00:00Z", "2023-11-14 22:13:20Z", "2023-11-14T22:13:20Zjunk",
        "abcd-11-14T22:13:20Z", "1969-12-31T23:59:59Z"}) {
    BOOST_TEST(!ParseIso8601(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
