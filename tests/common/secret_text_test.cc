#include "common/secret_text.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(SecretTextTest)

BOOST_AUTO_TEST_CASE(Last4IsTheLastFourCharactersOfLongValuesOnly) {
  BOOST_TEST(MaskedLast4("sk-abcdefgh1234").value() == "1234");
  BOOST_TEST(MaskedLast4("abcdefghijkl").value() == "ijkl");
  BOOST_TEST(!MaskedLast4("abcdefghijk").has_value());
  BOOST_TEST(!MaskedLast4("").has_value());
}

// Regression: last4 counted bytes and cut a multi-byte character in half.
BOOST_AUTO_TEST_CASE(Last4CountsUtf8CharactersNotBytes) {
  // "é" is 2 bytes, "€" 3, "😀" 4.
  BOOST_TEST(MaskedLast4("abcdefghijk\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z").value() ==
             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z");
  BOOST_TEST(MaskedLast4("abcdefghijk\xf0\x9f\x98\x80").value() == "ijk\xf0\x9f\x98\x80");
  // 11 characters in 16 bytes is still too short to show any of.
  BOOST_TEST(!MaskedLast4("abcdefg\xf0\x9f\x98\x80\xf0\x9f\x98\x80").has_value());
}

BOOST_AUTO_TEST_CASE(ChecksLengthAndControlCharacters) {
  BOOST_TEST(CheckSecretText("abcdef", "value", 4, 10).ok());
  BOOST_TEST(!CheckSecretText("", "value", 4, 10).ok());
  BOOST_TEST(!CheckSecretText("abc", "value", 4, 10).ok());
  BOOST_TEST(!CheckSecretText("abcdefghijk", "value", 4, 10).ok());
  BOOST_TEST(!CheckSecretText("abc\ndef", "value", 4, 10).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
