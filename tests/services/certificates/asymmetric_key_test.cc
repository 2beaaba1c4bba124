#include "services/certificates/asymmetric_key.h"

#include <boost/test/unit_test.hpp>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(AsymmetricKeyTest)

BOOST_AUTO_TEST_CASE(ThumbprintMatchesRfc7638Example) {
  // RFC 7638 §3.1.
  JwkPublic jwk;
  jwk.kty = "RSA";
  jwk.e = "AQAB";
  jwk.n =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
      "BJECPe"
      "bWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
      "FDW2QvzqY368"
      "QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
      "bFTWhAI4vMQFh6WeZu0fM4lFd"
      "2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
  BOOST_TEST(JwkThumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

BOOST_AUTO_TEST_CASE(RsaJwkHasNoLeadingZeroAndRoundTripsThroughPem) {
  auto key = AsymmetricKey::Generate(KeyAlgorithm::kRs256, 2048);
  BOOST_REQUIRE(key.ok());
  BOOST_TEST(key->bits() == 2048);
  auto jwk = key->Jwk();
  BOOST_REQUIRE(jwk.ok());
  BOOST_TEST(jwk->kty == "RSA");
  BOOST_TEST(jwk->e == "AQAB");
  auto n = Base64UrlDecode(jwk->n);
  BOOST_REQUIRE(n.ok());
  BOOST_TEST(n->size() == 256u);  // 2048 bits, no 0x00 prefix
  BOOST_TEST((*n)[0] != 0);
  BOOST_TEST(jwk->n.find('=') == std::string::npos);

  auto pem = key->PublicPem();
  BOOST_REQUIRE(pem.ok());
  BOOST_TEST(pem->rfind("-----BEGIN PUBLIC KEY-----", 0) == 0u);
  auto pub = AsymmetricKey::FromPublicPem(KeyAlgorithm::kRs256, *pem);
  BOOST_REQUIRE(pub.ok());
  BOOST_TEST(!pub->has_private());
  BOOST_TEST(*pub->Thumbprint() == *key->Thumbprint());

  auto priv = key->PrivatePem();
  BOOST_REQUIRE(priv.ok());
  BOOST_TEST(std::string(priv->view()).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);  // PKCS#8
  auto again = AsymmetricKey::FromPrivatePem(KeyAlgorithm::kRs256, priv->view());
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(*again->Thumbprint() == *key->Thumbprint());
}

BOOST_AUTO_TEST_CASE(EcJwkHasPaddedCoordinates) {
  for (int i = 0; i < 20; ++i) {  // some keys have a short coordinate
    auto key = AsymmetricKey::Generate(KeyAlgorithm::kEs256, 0);
    BOOST_REQUIRE(key.ok());
    auto jwk = key->Jwk();
    BOOST_TEST(jwk->kty == "EC");
    BOOST_TEST(jwk->crv == "P-256");
    BOOST_TEST(Base64UrlDecode(jwk->x)->size() == 32u);
    BOOST_TEST(Base64UrlDecode(jwk->y)->size() == 32u);
  }
}

BOOST_AUTO_TEST_CASE(SignaturesVerifyOnlyForTheirInputAndKey) {
  for (KeyAlgorithm alg : {KeyAlgorithm::kRs256, KeyAlgorithm::kEs256}) {
    auto key = AsymmetricKey::Generate(alg, 2048);
    auto other = AsymmetricKey::Generate(alg, 2048);
    BOOST_REQUIRE(key.ok() && other.ok());
    auto sig = key->Sign("header.payload");
    BOOST_REQUIRE(sig.ok());
    BOOST_TEST(sig->size() == (alg == KeyAlgorithm::kRs256 ? 256u : 64u));  // JOSE form
    BOOST_TEST(key->Verify("header.payload", AsView(*sig)));
    BOOST_TEST(!key->Verify("header.payloaD", AsView(*sig)));
    BOOST_TEST(!other->Verify("header.payload", AsView(*sig)));
    Bytes flipped = *sig;
    flipped[flipped.size() / 2] ^= 1;
    BOOST_TEST(!key->Verify("header.payload", AsView(flipped)));
    BOOST_TEST(!key->Verify("header.payload", ""));
    BOOST_TEST(!key->Verify("header.payload", AsView(*sig).substr(1)));
  }
}

// Found by the key_import fuzzer: an encrypted PEM made OpenSSL ask for a
// pass phrase on the terminal.
BOOST_AUTO_TEST_CASE(AnEncryptedPemFailsWithoutAskingForAPassPhrase) {
  const char* encrypted =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
      "MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIAAAAAAAAAAACAggA\n"
      "MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBAAAAAAAAAAAAAAAAAAAAAABIIB\n"
      "YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
      "-----END ENCRYPTED PRIVATE KEY-----\n";
  auto key = AsymmetricKey::FromPrivatePem(KeyAlgorithm::kRs256, encrypted);
  BOOST_TEST(!key.ok());
}

BOOST_AUTO_TEST_CASE(RefusesWrongTypesSizesAndGarbage) {
  BOOST_TEST(AsymmetricKey::Generate(KeyAlgorithm::kRs256, 1024).status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(AsymmetricKey::Generate(KeyAlgorithm::kRs256, 2047).status().code() ==
             StatusCode::kInvalidArgument);
  auto ec = AsymmetricKey::Generate(KeyAlgorithm::kEs256, 0);
  auto pem = ec->PublicPem();
  BOOST_TEST(AsymmetricKey::FromPublicPem(KeyAlgorithm::kRs256, *pem).status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(AsymmetricKey::FromPublicPem(KeyAlgorithm::kEs256, "not pem").status().code() ==
             StatusCode::kInvalidArgument);
  BOOST_TEST(AsymmetricKey::FromPrivatePem(KeyAlgorithm::kEs256, *pem).status().code() ==
             StatusCode::kInvalidArgument);
  auto pub = AsymmetricKey::FromPublicPem(KeyAlgorithm::kEs256, *pem);
  BOOST_TEST(pub->Sign("x").status().code() == StatusCode::kInternal);
  BOOST_TEST(pub->PrivatePem().status().code() == StatusCode::kInternal);
  BOOST_TEST(ParseAlgorithm("HS256").status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(ParseAlgorithm("rs256").status().code() == StatusCode::kInvalidArgument);
  BOOST_TEST(ParseAlgorithm("none").status().code() == StatusCode::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
