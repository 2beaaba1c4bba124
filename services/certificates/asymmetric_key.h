// AsymmetricKey: an RS256 or ES256 key pair (or public key alone) held as a
// parsed OpenSSL EVP_PKEY, so signing and verifying never re-parse PEM.
//
// Signatures use the JOSE encodings (RFC 7518 §3): RSASSA-PKCS1-v1_5 with
// SHA-256 for RS256; for ES256 the 64-byte R || S form, not DER.
//
//   ASSIGN_OR_RETURN(AsymmetricKey key, AsymmetricKey::Generate(KeyAlgorithm::kEs256, 0));
//   ASSIGN_OR_RETURN(Bytes sig, key.Sign("header.payload"));
//   bool ok = key.Verify("header.payload", AsView(sig));
//
// Thread-safety: a const AsymmetricKey may sign and verify from many threads
// at once (each call uses its own EVP_MD_CTX). Copies share the EVP_PKEY.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/status.h"

struct evp_pkey_st;

namespace latchkey {

enum class KeyAlgorithm { kRs256, kEs256 };

// "RS256" / "ES256".
std::string_view AlgorithmName(KeyAlgorithm alg);
std::ostream& operator<<(std::ostream& os, KeyAlgorithm alg);
// InvalidArgument for anything but "RS256" or "ES256" (case-sensitive).
Result<KeyAlgorithm> ParseAlgorithm(std::string_view name);

// The public members of a JWK (RFC 7517/7518), base64url without padding.
struct JwkPublic {
  std::string kty;        // "RSA" or "EC"
  std::string n, e;       // RSA: modulus and exponent, no leading zero bytes
  std::string crv, x, y;  // EC: "P-256" and 32-byte coordinates
};

class AsymmetricKey {
 public:
  // A fresh key pair. RS256 takes `rsa_bits` (2048, 3072 or 4096); ES256
  // ignores it (P-256). InvalidArgument for another size; Internal if
  // OpenSSL fails.
  static Result<AsymmetricKey> Generate(KeyAlgorithm alg, int rsa_bits);
  // From a PKCS#8 PEM private key. InvalidArgument if it does not parse or
  // is not a key of `alg` (an RSA key must have at least 2048 bits).
  static Result<AsymmetricKey> FromPrivatePem(KeyAlgorithm alg, std::string_view pem);
  // From an SPKI PEM public key; same checks.
  static Result<AsymmetricKey> FromPublicPem(KeyAlgorithm alg, std::string_view pem);

  KeyAlgorithm algorithm() const { return alg_; }
  bool has_private() const { return has_private_; }
  // RSA modulus size in bits; 256 for P-256.
  int bits() const;

  // PKCS#8 PEM of the private key (wiped when the result dies). Internal if
  // this is a public key only.
  Result<SecretBytes> PrivatePem() const;
  // SPKI PEM ("-----BEGIN PUBLIC KEY-----").
  Result<std::string> PublicPem() const;
  Result<JwkPublic> Jwk() const;
  // RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)).
  Result<std::string> Thumbprint() const;

  // Signs `input` (JOSE encoding). Internal on an OpenSSL failure or a
  // public-only key.
  Result<Bytes> Sign(std::string_view input) const;
  // True only for a valid signature over `input` by this key.
  bool Verify(std::string_view input, std::string_view signature) const;

 private:
  AsymmetricKey(KeyAlgorithm alg, std::shared_ptr<evp_pkey_st> key, bool has_private)
      : alg_(alg), key_(std::move(key)), has_private_(has_private) {}
  static Result<AsymmetricKey> Adopt(KeyAlgorithm alg, evp_pkey_st* raw, bool has_private);

  KeyAlgorithm alg_;
  std::shared_ptr<evp_pkey_st> key_;
  bool has_private_;
};

// RFC 7638: the SHA-256 thumbprint of the required members in
// lexicographic order, e.g. {"e":"AQAB","kty":"RSA","n":"..."}.
std::string JwkThumbprint(const JwkPublic& jwk);

}  // namespace latchkey
