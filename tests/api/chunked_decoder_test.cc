#include "api/chunked_decoder.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

using State = ChunkedDecoder::State;

// Feeds `encoded` in pieces of `step` bytes, as reads would deliver it.
ChunkedDecoder Decode(const std::string& encoded, size_t step = 1 << 20, size_t max = 4096) {
  ChunkedDecoder d(max);
  for (size_t end = std::min(step, encoded.size());; end = std::min(end + step, encoded.size())) {
    if (d.Feed(std::string_view(encoded).substr(0, end)) != State::kMore) break;
    if (end == encoded.size()) break;
  }
  return d;
}

BOOST_AUTO_TEST_SUITE(ChunkedDecoderTest)

BOOST_AUTO_TEST_CASE(DecodesChunksExtensionsAndTrailers) {
  auto d = Decode("5;name=val\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\nNEXT");
  BOOST_REQUIRE((d.state() == State::kDone));
  BOOST_TEST(d.body() == "hello, world");
  BOOST_TEST(d.consumed() == 44u);  // "NEXT" belongs to the next request
  BOOST_TEST(Decode("0\r\n\r\n").body().empty());
  BOOST_TEST((Decode("A\r\n0123456789\r\n0\r\n\r\n").state() == State::kDone));
  BOOST_TEST((Decode("00000000000000000001\r\nx\r\n0\r\n\r\n").body() == "x"));
}

BOOST_AUTO_TEST_CASE(ByteAtATimeGivesTheSameResult) {
  std::string encoded = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  auto d = Decode(encoded, 1);
  BOOST_REQUIRE((d.state() == State::kDone));
  BOOST_TEST(d.body() == "abc0123456789abcdef");
  BOOST_TEST((Decode(encoded.substr(0, encoded.size() - 1), 1).state() == State::kMore));
}

// Regression: Pistache read past the received bytes on a huge size, and
// accepted chunk data not followed by CRLF.
BOOST_AUTO_TEST_CASE(RefusesMalformedFraming) {
  for (const char* bad :
       {"ffffffffffffffff\r\nabc\r\n0\r\n\r\n", "3\r\nabcXY0\r\n\r\n", "\r\n3\r\nabc\r\n0\r\n\r\n",
        "x\r\n", "3 \r\nabc\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n", "-1\r\n",
        "+3\r\nabc\r\n", "0x3\r\nabc\r\n", "0\r\nX: 1\n\r\n", "3;\x01\r\nabc\r\n"}) {
    auto d = Decode(bad);
    BOOST_TEST((d.state() == State::kError), bad);
  }
  BOOST_TEST(Decode("3\r\nabcXY0\r\n\r\n").error() == "chunk data must be followed by CRLF");
}

BOOST_AUTO_TEST_CASE(LimitsTheBodyBeforeItArrives) {
  auto huge = Decode("ffffffffffffffff\r\n");
  BOOST_TEST(huge.error_status() == 413);
  BOOST_TEST(huge.body().capacity() < 1024u);  // nothing reserved for it
  auto over = Decode("800\r\n" + std::string(2048, 'a') + "\r\n801\r\n", 1 << 20, 4096);
  BOOST_TEST(over.error_status() == 413);
  auto line = Decode("1;" + std::string(5000, 'e') + "\r\n");
  BOOST_TEST((line.state() == State::kError));
  BOOST_TEST(line.error_status() == 400);
}

// Regression: 1 MB of "1\r\na\r\n" cost seconds of CPU when the parser was
// re-fed the whole request on every read; here each byte is seen once.
BOOST_AUTO_TEST_CASE(ManySmallChunksInSmallReadsAreLinear) {
  std::string encoded;
  for (int i = 0; i < 100000; ++i) encoded += "1\r\na\r\n";
  encoded += "0\r\n\r\n";
  auto d = Decode(encoded, 1024, 1 << 20);
  BOOST_REQUIRE((d.state() == State::kDone));
  BOOST_TEST(d.body().size() == 100000u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
