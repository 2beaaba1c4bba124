#include "services/proxy/redactor.h"

#include <boost/test/unit_test.hpp>

#include "common/crypto.h"

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

// Regression: a QUERY_PARAM value sent URL-encoded came back in an echoed
// URL as "qp%2b...%2f...%3d%3d", unredacted.
BOOST_AUTO_TEST_CASE(RedactsEveryFormTheSecretIsSentOrReflectedIn) {
  const std::string secret = R"(qp+a/b c"x==)";
  Redactor r({secret});
  for (const std::string& form : {std::string("qp%2Ba%2Fb%20c%22x%3D%3D"),  // curl's encoding
                                  std::string("qp%2ba%2fb%20c%22x%3d%3d"),  // lower-case hex
                                  std::string("qp%2Ba%2Fb+c%22x%3D%3D"),    // form encoding
                                  std::string("qp+a/b%20c%22x=="),          // a path-style encoder
                                  std::string(R"(qp+a/b c\"x==)"),          // JSON-escaped
                                  std::string(R"(qp+a\/b c\"x==)"),         // JSON-escaped with \/
                                  Base64Encode(secret), Base64UrlEncode(secret)}) {
    BOOST_TEST(r.Redact("url=" + form + "&x=1") == "url=[REDACTED]&x=1", form);
    Redactor stream({secret});
    std::string out = stream.Feed(R"({"echo":")" + form.substr(0, 5));
    out += stream.Feed(form.substr(5) + R"("})");
    out += stream.Finish();
    BOOST_TEST(out == R"({"echo":"[REDACTED]"})", form);
  }
}

BOOST_AUTO_TEST_CASE(BasicCredentialsAreRedactedAsSent) {
  std::string encoded = Base64Encode("user:pa55word-xyz");
  Redactor r({"pa55word-xyz", encoded, "Basic " + encoded});
  BOOST_TEST(r.Redact("auth was Basic " + encoded) == "auth was [REDACTED]");
  BOOST_TEST(r.Redact("just " + encoded + ".") == "just [REDACTED].");
}

// Regression: a body that ended inside a secret flushed the held-back
// prefix unredacted (35 of 39 characters).
BOOST_AUTO_TEST_CASE(AStreamEndingInsideASecretHasThePartRedacted) {
  const std::string secret = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";
  Redactor r({secret});
  std::string out = r.Feed("{\"key\":\"" + secret.substr(0, 20));
  out += r.Feed(secret.substr(20, 15));
  out += r.Finish();
  BOOST_TEST(out == "{\"key\":\"[REDACTED]");
  BOOST_TEST(out.find("abcdef") == std::string::npos);
  // Whole values (headers) too.
  BOOST_TEST(Redactor({secret}).Redact("x " + secret.substr(0, 30)) == "x [REDACTED]");
  // Fewer than kMinPartial characters are ordinary text.
  Redactor few({secret});
  std::string released = few.Feed("ends sk-");
  released += few.Finish();
  BOOST_TEST(released == "ends sk-");
}

BOOST_AUTO_TEST_CASE(ContainsFindsAnyForm) {
  Redactor r({"s3cr3t/value"});
  BOOST_TEST(r.Contains("X-N-s3cr3t/value"));
  BOOST_TEST(r.Contains("X-N-s3cr3t%2Fvalue"));
  BOOST_TEST(!r.Contains("X-Request-Id"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
