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
        "GET / HTTP/1.1\r\n\r\n", "GET http://x/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", "\x16\x03\x01\x00"}) {
    HeadCheck h = Check(bad);
    BOOST_TEST((h.kind == HeadCheck::Kind::kError), bad);
    BOOST_TEST(h.status >= 400);
  }
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
