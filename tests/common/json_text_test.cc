#include "common/json_text.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(JsonTextTest)

BOOST_AUTO_TEST_CASE(EscapesQuotesControlsAndBadUtf8) {
  BOOST_TEST(JsonQuote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  BOOST_TEST(JsonQuote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  BOOST_TEST(JsonQuote("bad\xff") == "\"bad\\ufffd\"");
}

BOOST_AUTO_TEST_CASE(BuildsFlatObjectsInOrder) {
  BOOST_TEST(JsonFlatObject({{"b", "1"}, {"a", "2"}}) == "{\"b\":\"1\",\"a\":\"2\"}");
  BOOST_TEST(JsonFlatObject({}) == "{}");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
