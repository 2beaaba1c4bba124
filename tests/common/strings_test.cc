#include "common/strings.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace latchkey {
namespace {

std::vector<std::string> Items(std::string_view text, char sep = ',') {
  std::vector<std::string> out;
  for (auto item : SplitList(text, sep)) out.emplace_back(item);
  return out;
}

BOOST_AUTO_TEST_SUITE(StringsTest)

BOOST_AUTO_TEST_CASE(SplitsTrimsAndDropsEmptyItems) {
  BOOST_TEST(Items("a, b,,\tc ,") == (std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(Items("").empty());
  BOOST_TEST(Items(" , ").empty());
  BOOST_TEST(Items("one") == (std::vector<std::string>{"one"}));
  BOOST_TEST(Items("x y", ' ') == (std::vector<std::string>{"x", "y"}));
}

BOOST_AUTO_TEST_CASE(HeaderNamesAreTokensAndValuesHaveNoLineBreaks) {
  BOOST_TEST(IsHeaderName("Notion-Version"));
  BOOST_TEST(IsHeaderName("x-api-key"));
  BOOST_TEST(!IsHeaderName(""));
  BOOST_TEST(!IsHeaderName("Bad Name"));
  BOOST_TEST(!IsHeaderName("X:Y"));
  BOOST_TEST(!IsHeaderName(std::string(257, 'a')));
  BOOST_TEST(IsHeaderValue("application/vnd.github+json; q=1\t"));
  BOOST_TEST(IsHeaderValue(""));
  BOOST_TEST(!IsHeaderValue("a\r\nX-Injected: 1"));
  BOOST_TEST(!IsHeaderValue(std::string("a\0b", 3)));
  BOOST_TEST(!IsHeaderValue(std::string(8193, 'a')));
}

// Typos and prefixes find their name; unrelated words find none.
BOOST_AUTO_TEST_CASE(ClosestMatchSuggestsAMisspelledOrShortenedName) {
  const std::vector<std::string> fields = {"audience", "subject", "expiresIn", "claims"};
  BOOST_TEST(*ClosestMatch("aud", fields) == "audience");
  BOOST_TEST(*ClosestMatch("subjetc", fields) == "subject");
  BOOST_TEST(*ClosestMatch("ExpiresIn", fields) == "expiresIn");
  BOOST_TEST(*ClosestMatch("claim", fields) == "claims");
  BOOST_TEST(!ClosestMatch("zzz", fields).has_value());
  BOOST_TEST(!ClosestMatch("", fields).has_value());
  BOOST_TEST(!ClosestMatch("a", fields).has_value());  // one letter is too little to go on
  BOOST_TEST(!ClosestMatch(std::string(65, 'a'), fields).has_value());
}

BOOST_AUTO_TEST_CASE(UnknownNameListsTheKnownOnesAndCutsLongInput) {
  BOOST_TEST(UnknownName("scope", "certificate:read", {"certificates:read", "proxy"}) ==
             "unknown scope 'certificate:read'; did you mean 'certificates:read'? (known: "
             "certificates:read, proxy)");
  std::string long_name(100, 'x');
  std::string message = UnknownName("field", long_name, {"name"});
  BOOST_TEST(message.find(std::string(65, 'x')) == std::string::npos);
  BOOST_TEST(message.find("(known: name)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
