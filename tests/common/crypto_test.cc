#include "common/crypto.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

namespace latchkey {
namespace {

SecretBytes Key(uint8_t fill) { return SecretBytes(Bytes(32, fill)); }

BOOST_AUTO_TEST_SUITE(CryptoTest)

BOOST_AUTO_TEST_CASE(RandomBytesDiffer) {
  Bytes a = RandomBytes(32), b = RandomBytes(32);
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST((a != b));
}

BOOST_AUTO_TEST_CASE(Base64UrlMatchesRfc4648Vectors) {
  // RFC 4648 §10 vectors, unpadded.
  BOOST_TEST(Base64UrlEncode("") == "");
  BOOST_TEST(Base64UrlEncode("f") == "Zg");
  BOOST_TEST(Base64UrlEncode("fo") == "Zm8");
  BOOST_TEST(Base64UrlEncode("foobar") == "Zm9vYmFy");
  BOOST_TEST(Base64UrlEncode("\xfb\xff") == "-_8");
  BOOST_TEST(AsView(*Base64UrlDecode("-_8")) == "\xfb\xff");
  BOOST_TEST(AsView(*Base64UrlDecode("Zm9vYg")) == "foob");
  BOOST_TEST(Base64Encode("fo") == "Zm8=");
  BOOST_TEST(AsView(*Base64Decode("Zm8=")) == "fo");
}

BOOST_AUTO_TEST_CASE(Base64RejectsGarbage) {
  BOOST_TEST(!Base64UrlDecode("a").ok());
  BOOST_TEST(!Base64UrlDecode("ab$c").ok());
  BOOST_TEST(!Base64UrlDecode("Zh").ok());  // non-canonical trailing bits
  BOOST_TEST(!Base64Decode("Zm8").ok());    // standard form needs padding
}

BOOST_AUTO_TEST_CASE(Sha256AndHmacMatchKnownVectors) {
  BOOST_TEST(Sha256Hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  BOOST_TEST(HexEncode(AsView(HmacSha256("Jefe", "what do ya want for nothing?"))) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(ConstantTimeEqualsComparesContentAndLength) {
  BOOST_TEST(ConstantTimeEquals("abc", "abc"));
  BOOST_TEST(!ConstantTimeEquals("abc", "abd"));
  BOOST_TEST(!ConstantTimeEquals("abc", "abcd"));
}

BOOST_AUTO_TEST_CASE(GcmRoundTripsWithFreshNonces) {
  SecretBytes key = Key(7);
  Bytes a = *AesGcmSeal(key, "secret value", "aad");
  Bytes b = *AesGcmSeal(key, "secret value", "aad");
  BOOST_TEST(a.size() == kGcmNonceSize + 12 + kGcmTagSize);
  BOOST_TEST((a != b));
  BOOST_TEST(AesGcmOpen(key, AsView(a), "aad")->view() == "secret value");
}

BOOST_AUTO_TEST_CASE(GcmDetectsEveryChangedByte) {
  SecretBytes key = Key(7);
  Bytes sealed = *AesGcmSeal(key, "secret value", "aad");
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    auto opened = AesGcmOpen(key, AsView(tampered), "aad");
    BOOST_TEST(!opened.ok(), "byte " << i);
    BOOST_TEST((opened.status().code() == StatusCode::kDataLoss));
  }
}

BOOST_AUTO_TEST_CASE(GcmRejectsWrongAadKeyAndTruncation) {
  SecretBytes key = Key(7);
  Bytes sealed = *AesGcmSeal(key, "secret value", "acct_a:credential:x");
  BOOST_TEST(!AesGcmOpen(key, AsView(sealed), "acct_b:credential:x").ok());
  BOOST_TEST(!AesGcmOpen(Key(8), AsView(sealed), "acct_a:credential:x").ok());
  BOOST_TEST(!AesGcmOpen(key, AsView(sealed).substr(0, 20), "acct_a:credential:x").ok());
  BOOST_TEST(!AesGcmSeal(SecretBytes(Bytes(16, 1)), "x", "").ok());
}

BOOST_AUTO_TEST_CASE(SecretBytesWipesOnMoveAndReset) {
  SecretBytes a(std::string_view("hunter2hunter2"));
  SecretBytes b = std::move(a);
  BOOST_TEST(a.empty());
  BOOST_TEST(b.view() == "hunter2hunter2");
  b.Wipe();
  BOOST_TEST(b.empty());
}

BOOST_AUTO_TEST_CASE(WipeJsonStringsReachesNestedValues) {
  auto j = nlohmann::json::parse(
      R"({"a":"secret-1","h":[["X-Key","secret-2"]],"n":{"m":"secret-3"},"k":7})");
  WipeJsonStrings(j);
  std::string dump = j.dump();
  BOOST_TEST(dump.find("secret") == std::string::npos);
  BOOST_TEST(dump.find("X-Key") == std::string::npos);
  BOOST_TEST(j["k"] == 7);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
