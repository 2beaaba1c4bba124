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

BOOST_AUTO_TEST_CASE(NestingDepthIsCountedOutsideStringsOnly) {
  BOOST_TEST(JsonNestingWithin("{}", 1));
  BOOST_TEST(JsonNestingWithin(R"({"a":[1,{"b":2}]})", 3));
  BOOST_TEST(!JsonNestingWithin(R"({"a":[1,{"b":2}]})", 2));
  BOOST_TEST(JsonNestingWithin(R"({"a":"[[[[[[{{{{"})", 1));
  BOOST_TEST(JsonNestingWithin(R"({"a":"\"[[[["})", 1));  // escaped quote stays in the string
  BOOST_TEST(JsonNestingWithin("[][][][]", 1));             // siblings do not add up
  BOOST_TEST(JsonNestingWithin("]]]]", 1));                 // stray closers are the parser's problem
}

BOOST_AUTO_TEST_CASE(SixtyThousandLevelsAreRefusedWithoutRecursing) {
  std::string deep = std::string(60000, '[') + std::string(60000, ']');
  BOOST_TEST(!JsonNestingWithin(deep));
  BOOST_TEST(JsonNestingWithin(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')));
  BOOST_TEST(JsonTooDeepMessage("request body") == "request body nests deeper than 64 levels");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
