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

// Found by the json_body fuzzer: out-of-range leads, overlong forms and
// surrogates passed through, so error bodies were not valid JSON.
BOOST_AUTO_TEST_CASE(EveryInvalidUtf8FormBecomesAReplacementCharacter) {
  for (const char* bad :
       {"\xf7\x89\x89\x89", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80",
        "\xc0\xaf", "\xf8\x88\x80\x80\x80", "\xe2\x82"}) {
    std::string quoted = JsonQuote(bad);
    BOOST_TEST(quoted.find("\\ufffd") != std::string::npos, quoted);
    for (unsigned char c : quoted) BOOST_TEST(c < 0x80);
  }
  BOOST_TEST(JsonQuote("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF is fine
  BOOST_TEST(JsonQuote("\xed\x9f\xbf") == "\"\xed\x9f\xbf\"");          // U+D7FF too
}

BOOST_AUTO_TEST_CASE(FindsNulBytes) {
  BOOST_TEST(HasNulByte(std::string_view("{}\0x", 4)));
  BOOST_TEST(!HasNulByte("{}"));
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
  BOOST_TEST(JsonNestingWithin("[][][][]", 1));           // siblings do not add up
  BOOST_TEST(JsonNestingWithin("]]]]", 1));               // stray closers are the parser's problem
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
