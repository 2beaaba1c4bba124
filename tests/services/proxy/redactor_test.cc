#include "services/proxy/redactor.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(RedactorTest)

BOOST_AUTO_TEST_CASE(RedactsWholeAndSplitOccurrences) {
  Redactor r({"sk-secret-123456"});
  std::string out = r.Feed("echo sk-secret-123456 and sk-sec");
  out += r.Feed("ret-123456 done");
  out += r.Finish();
  BOOST_TEST(out == "echo [REDACTED] and [REDACTED] done");
}

BOOST_AUTO_TEST_CASE(HoldsBackOnlyAPossiblePrefix) {
  Redactor r({"sk-secret-123456"});
  BOOST_TEST(r.Feed("data: {\"a\":1}\n\n") == "data: {\"a\":1}\n\n");  // released at once
  BOOST_TEST(r.Feed("tail sk-se") == "tail ");
  BOOST_TEST(r.Feed("x") == "sk-sex");
  BOOST_TEST(r.Finish() == "");
  Redactor end({"sk-secret-123456"});
  BOOST_TEST(end.Feed("ends with sk-") == "ends with ");
  BOOST_TEST(end.Finish() == "sk-");
}

BOOST_AUTO_TEST_CASE(LongestSecretWinsAndShortOnesAreIgnored) {
  Redactor r({"abcdef", "Bearer abcdef", "xyz"});
  BOOST_TEST(r.Redact("Authorization: Bearer abcdef; abcdef; xyz") ==
             "Authorization: [REDACTED]; [REDACTED]; xyz");
  BOOST_TEST(Redactor({}).Redact("anything") == "anything");
}

BOOST_AUTO_TEST_CASE(ByteAtATimeStillRedacts) {
  Redactor r({"topsecretvalue"});
  std::string input = "a topsecretvalue b topsecretvaluetopsecretvalue c";
  std::string out;
  for (char c : input) out += r.Feed(std::string(1, c));
  out += r.Finish();
  BOOST_TEST(out == "a [REDACTED] b [REDACTED][REDACTED] c");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
