// The CLI's formatting helpers: durations, relative times, cells, tables.
#include "cli/output.h"

#include <boost/test/unit_test.hpp>
#include <iostream>
#include <sstream>

namespace latchkey::cli {
namespace {

BOOST_AUTO_TEST_SUITE(OutputTest)

BOOST_AUTO_TEST_CASE(DurationsTakeOneUnit) {
  BOOST_TEST(ParseDuration("30s") == 30);
  BOOST_TEST(ParseDuration("10m") == 600);
  BOOST_TEST(ParseDuration("1h") == 3600);
  BOOST_TEST(ParseDuration("7d") == 7 * 86400);
  for (const char* bad : {"", "s", "10", "10w", "-1h", "1.5h", "1h30m", "h1"}) {
    BOOST_TEST(ParseDuration(bad) == -1, bad);
  }
}

BOOST_AUTO_TEST_CASE(TimesAreRelativeToNow) {
  std::time_t now = 1'800'000'000;  // 2027-01-15T08:00:00Z
  BOOST_TEST(RelativeTime("2027-01-15T07:57:00Z", now) == "3m ago");
  BOOST_TEST(RelativeTime("2027-01-17T08:00:00Z", now) == "in 2d");
  BOOST_TEST(RelativeTime("2027-01-15T08:00:02Z", now) == "just now");
  BOOST_TEST(RelativeTime("2027-01-15T05:00:00Z", now) == "3h ago");
  BOOST_TEST(RelativeTime(nullptr, now) == "-");
  BOOST_TEST(RelativeTime("not a time", now) == "not a time");
}

BOOST_AUTO_TEST_CASE(CellsFlattenJson) {
  BOOST_TEST(Cell("text") == "text");
  BOOST_TEST(Cell(nullptr) == "-");
  BOOST_TEST(Cell(true) == "yes");
  BOOST_TEST(Cell(nlohmann::json::array({"a", "b"})) == "a,b");
  BOOST_TEST(Cell(nlohmann::json::array()) == "-");
  BOOST_TEST(Cell(42) == "42");
}

BOOST_AUTO_TEST_CASE(TablesAlignByCharactersNotBytes) {
  std::stringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  Table t({"NAME", "KEY"});
  t.Add({"openai", "…1234"});
  t.Add({"gh", "-"});
  t.Print();
  Table({"A"}).Print();
  std::cout.rdbuf(old);
  BOOST_TEST(out.str() == "NAME    KEY\nopenai  …1234\ngh      -\n(none)\n");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey::cli
