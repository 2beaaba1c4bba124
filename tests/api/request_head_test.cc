#include "api/request_head.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

HeadCheck Check(std::string_view raw) { return CheckRequestHead(raw, HeadLimits{1024, 4096}); }

BOOST_AUTO_TEST_SUITE(RequestHeadTest)

BOOST_AUTO_TEST_CASE(AcceptsAWellFormedRequest) {
  HeadCheck h = Check("POST /x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  BOOST_REQUIRE((h.kind == HeadCheck::Kind::kComplete));
  BOOST_TEST(h.method == "POST");
  BOOST_TEST(h.content_length == 5u);
  BOOST_TEST(h.head_length == 52u);
  BOOST_TEST(h.keep_alive);
}

BOOST_AUTO_TEST_CASE(WaitsForMoreBytesOnAPartialHead) {
  BOOST_TEST((Check("GET / HT").kind == HeadCheck::Kind::kIncomplete));
  BOOST_TEST((Check("GET / HTTP/1.1\r\nHost: h\r\n").kind == HeadCheck::Kind::kIncomplete));
}

BOOST_AUTO_TEST_CASE(RejectsMalformedInputAtOnce) {
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET /\r\n\r\n", "FOO / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/2.5\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\n\n", "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", "GET ftp://x/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", "GET x/y HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", "\x16\x03\x01\x00"}) {
    HeadCheck h = Check(bad);
    BOOST_TEST((h.kind == HeadCheck::Kind::kError), bad);
    BOOST_TEST(h.status >= 400);
  }
}

// Regression: absolute-form targets were refused (RFC 9112 §3.2.2: servers
// must accept them).
BOOST_AUTO_TEST_CASE(AbsoluteFormTargetsAreReducedToTheirPath) {
  struct Case {
    const char* target;
    const char* expected;
  } cases[] = {
      {"http://127.0.0.1:8080/healthz", "/healthz"},
      {"HTTP://lk.example/a/b?x=1&y=2", "/a/b?x=1&y=2"},
      {"https://lk.example", "/"},
      {"http://lk.example?q=1", "?q=1"},
      {"/plain?x", "/plain?x"},
  };
  for (const auto& c : cases) {
    HeadCheck h = Check(std::string("GET ") + c.target + " HTTP/1.1\r\nHost: h\r\n\r\n");
    if (std::string(c.expected)[0] != '/') {
      BOOST_TEST((h.kind == HeadCheck::Kind::kError), c.target);
      continue;
    }
    BOOST_REQUIRE((h.kind == HeadCheck::Kind::kComplete));
    BOOST_TEST(h.target == c.expected);
  }
}

BOOST_AUTO_TEST_CASE(KeepsHeadersInOrder) {
  HeadCheck h = Check("GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\nx-a: 2\r\n\r\n");
  BOOST_REQUIRE((h.kind == HeadCheck::Kind::kComplete));
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  BOOST_TEST((h.headers == Pairs{{"Host", "h"}, {"X-A", "1"}, {"x-a", "2"}}));
}

BOOST_AUTO_TEST_CASE(LimitsTargetLengthAndHeaderCount) {
  HeadLimits limits{64 * 1024, 4096, 100, 3};
  std::string long_target = "GET /" + std::string(101, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  BOOST_TEST(CheckRequestHead(long_target, limits).status == 414);
  BOOST_TEST(CheckRequestHead(long_target, limits).code == "URI_TOO_LONG");
  std::string ok_target = "GET /" + std::string(99, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  BOOST_TEST((CheckRequestHead(ok_target, limits).kind == HeadCheck::Kind::kComplete));
  std::string four = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  BOOST_TEST(CheckRequestHead(four, limits).status == 431);
  std::string three = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
  BOOST_TEST((CheckRequestHead(three, limits).kind == HeadCheck::Kind::kComplete));
}

BOOST_AUTO_TEST_CASE(LimitsHeadAndBodySize) {
  HeadCheck big_body = Check("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4097\r\n\r\n");
  BOOST_TEST(big_body.status == 413);
  std::string big_head = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(2000, 'a');
  BOOST_TEST(Check(big_head).status == 431);
}

BOOST_AUTO_TEST_CASE(ConnectionPersistenceFollowsTheVersion) {
  BOOST_TEST(!Check("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
  BOOST_TEST(!Check("GET / HTTP/1.0\r\n\r\n").keep_alive);
  BOOST_TEST(Check("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  BOOST_TEST(Check("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n").expect_continue);
  BOOST_TEST(Check("POST / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n").status == 417);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
