// Fuzzes key import: AsymmetricKey::FromPrivatePem / FromPublicPem (how
// stored managed keys and published public keys are read back), then what
// is derived from an imported key: its public PEM (which must import again
// as the same key), JWK and RFC 7638 thumbprint, and a signature.
//
// Input: a flags byte (bit 0: ES256 instead of RS256; bit 1: public key
// instead of private), then the PEM text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "services/certificates/asymmetric_key.h"
#include "tests/fuzz/fuzz_input.h"

namespace latchkey::fuzz {
namespace {

bool SameJwk(const JwkPublic& a, const JwkPublic& b) {
  return a.kty == b.kty && a.n == b.n && a.e == b.e && a.crv == b.crv && a.x == b.x && a.y == b.y;
}

void CheckKey(const AsymmetricKey& key, KeyAlgorithm alg, bool is_private) {
  Check(key.algorithm() == alg && key.has_private() == is_private, "imported the wrong kind");
  Check(alg == KeyAlgorithm::kEs256 ? key.bits() == 256 : key.bits() >= 2048,
        "imported a key of the wrong size");
  auto jwk = key.Jwk();
  Check(jwk.ok(), "an imported key has no JWK");
  Check(jwk->kty == (alg == KeyAlgorithm::kEs256 ? "EC" : "RSA"), "JWK of the wrong type");
  auto thumb = key.Thumbprint();
  Check(thumb.ok() && *thumb == JwkThumbprint(*jwk), "thumbprint differs from the JWK's");
  auto pem = key.PublicPem();
  Check(pem.ok(), "an imported key has no public PEM");
  auto again = AsymmetricKey::FromPublicPem(alg, *pem);
  Check(again.ok(), "our own public PEM does not import");
  auto jwk2 = again->Jwk();
  Check(jwk2.ok() && SameJwk(*jwk, *jwk2), "public PEM round trip changed the key");
  if (!is_private) return;
  auto private_pem = key.PrivatePem();
  Check(private_pem.ok(), "an imported private key does not export");
  // A key whose parts do not fit together (a corrupted CRT value) parses,
  // and then fails to sign: an error, never a bad signature.
  auto sig = key.Sign("header.payload");
  if (!sig.ok()) return;
  // Whatever the key's private half holds, both halves judge alike.
  Check(key.Verify("header.payload", AsView(*sig)) == again->Verify("header.payload", AsView(*sig)),
        "the private and public key verify differently");
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey;
  using namespace latchkey::fuzz;
  FuzzInput in(data, size);
  uint8_t flags = in.Byte();
  KeyAlgorithm alg = flags & 1 ? KeyAlgorithm::kEs256 : KeyAlgorithm::kRs256;
  bool is_private = !(flags & 2);
  std::string_view pem = in.rest();
  auto key =
      is_private ? AsymmetricKey::FromPrivatePem(alg, pem) : AsymmetricKey::FromPublicPem(alg, pem);
  if (key.ok()) CheckKey(*key, alg, is_private);
  return 0;
}
