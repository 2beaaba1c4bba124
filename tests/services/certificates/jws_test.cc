#include "services/certificates/jws.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

std::string B64(const std::string& s) { return Base64UrlEncode(s); }

struct JwsFixture {
  AsymmetricKey key = *AsymmetricKey::Generate(KeyAlgorithm::kEs256, 0);
  std::string token = *EncodeJws(key, "kid-1", nlohmann::json{{"sub", "agent-7"}, {"n", 1}});
};

BOOST_FIXTURE_TEST_SUITE(JwsTest, JwsFixture)

BOOST_AUTO_TEST_CASE(EncodesHeaderAndRoundTrips) {
  auto decoded = DecodeJws(token);
  BOOST_REQUIRE(decoded.ok());
  BOOST_TEST(decoded->header.dump() == R"({"alg":"ES256","kid":"kid-1","typ":"JWT"})");
  BOOST_TEST(decoded->payload["sub"] == "agent-7");
  BOOST_TEST(key.Verify(decoded->signing_input, AsView(decoded->signature)));
  BOOST_TEST(decoded->signing_input == token.substr(0, token.rfind('.')));
}

BOOST_AUTO_TEST_CASE(RefusesMalformedTokens) {
  std::string h = token.substr(0, token.find('.'));
  std::string sig = token.substr(token.rfind('.') + 1);
  std::string p = B64(R"({"sub":"x"})");
  const std::vector<std::string> bad = {
      "",
      "abc",
      "a.b",
      h + "." + p,
      h + "." + p + "." + sig + ".extra",
      h + ".." + sig,
      "." + p + "." + sig,
      h + "." + p + ".",
      h + "=." + p + "." + sig,  // padding
      h + "." + p + "." + sig + "=",
      h + "." + p + "." + sig.substr(0, sig.size() - 1) + "!",  // not base64url
      B64("[1,2]") + "." + p + "." + sig,                       // header not an object
      h + "." + B64("\"str\"") + "." + sig,                     // payload not an object
      B64("{bad json") + "." + p + "." + sig,
      std::string(kMaxTokenBytes + 1, 'a'),
  };
  for (const auto& t : bad) {
    auto decoded = DecodeJws(t);
    BOOST_TEST(!decoded.ok(), "accepted: " << t.substr(0, 80));
    BOOST_TEST(decoded.status().message() == "malformed token");
  }
}

BOOST_AUTO_TEST_CASE(RefusesNonCanonicalBase64) {
  // "QQ" and "QR" decode to the same byte; only the canonical one is accepted.
  std::string h = token.substr(0, token.find('.'));
  std::string p = B64("{}");  // "e30"
  BOOST_TEST(DecodeJws(h + "." + p + ".QQ").ok());
  BOOST_TEST(!DecodeJws(h + "." + p + ".QR").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
