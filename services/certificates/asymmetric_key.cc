#include "services/certificates/asymmetric_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <ostream>

namespace latchkey {
namespace {

// Fetched once: a per-call fetch by name takes the provider store's locks.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

constexpr size_t kEcCoordinate = 32;  // P-256

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<Bn> GetBn(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return Internal("cannot read key parameter");
  return Bn(bn);
}

std::string BnBase64Url(const BIGNUM* bn, int pad_to) {
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string raw(static_cast<size_t>(len), '\0');
  if (pad_to > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(raw.data()), pad_to);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(raw.data()));
  }
  return Base64UrlEncode(raw);
}

bool IsP256(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) return false;
  return std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0;
}

// DER ECDSA signature -> R || S (32 bytes each).
Result<Bytes> DerToJose(const Bytes& der) {
  const unsigned char* p = der.data();
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Internal("cannot decode ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * kEcCoordinate);
  if (BN_bn2binpad(r, out.data(), kEcCoordinate) < 0 ||
      BN_bn2binpad(s, out.data() + kEcCoordinate, kEcCoordinate) < 0) {
    return Internal("ECDSA signature out of range");
  }
  return out;
}

// R || S -> DER; nullopt when the length is wrong.
std::optional<Bytes> JoseToDer(std::string_view jose) {
  if (jose.size() != 2 * kEcCoordinate) return std::nullopt;
  const auto* raw = reinterpret_cast<const unsigned char*>(jose.data());
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, kEcCoordinate, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kEcCoordinate, kEcCoordinate, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

Status CheckKeyType(KeyAlgorithm alg, EVP_PKEY* key) {
  if (alg == KeyAlgorithm::kRs256) {
    if (!EVP_PKEY_is_a(key, "RSA")) return InvalidArgument("not an RSA key");
    if (EVP_PKEY_get_bits(key) < 2048) return InvalidArgument("RSA keys need at least 2048 bits");
    return Status::Ok();
  }
  if (!EVP_PKEY_is_a(key, "EC") || !IsP256(key)) return InvalidArgument("not a P-256 EC key");
  return Status::Ok();
}

}  // namespace

std::string_view AlgorithmName(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kRs256 ? "RS256" : "ES256";
}

std::ostream& operator<<(std::ostream& os, KeyAlgorithm alg) { return os << AlgorithmName(alg); }

Result<KeyAlgorithm> ParseAlgorithm(std::string_view name) {
  if (name == "RS256") return KeyAlgorithm::kRs256;
  if (name == "ES256") return KeyAlgorithm::kEs256;
  return InvalidArgument("algorithm must be RS256 or ES256");
}

Result<AsymmetricKey> AsymmetricKey::Adopt(KeyAlgorithm alg, EVP_PKEY* raw, bool has_private) {
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  RETURN_IF_ERROR(CheckKeyType(alg, key.get()));
  return AsymmetricKey(alg, std::move(key), has_private);
}

Result<AsymmetricKey> AsymmetricKey::Generate(KeyAlgorithm alg, int rsa_bits) {
  bool rsa = alg == KeyAlgorithm::kRs256;
  if (rsa && rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096) {
    return InvalidArgument("keySize must be 2048, 3072 or 4096");
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return Internal("keygen init failed");
  int set = rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits)
                : EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256");
  if (set != 1) return Internal("keygen parameters rejected");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return Internal("key generation failed");
  return Adopt(alg, raw, true);
}

Result<AsymmetricKey> AsymmetricKey::FromPrivatePem(KeyAlgorithm alg, std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal("out of memory");
  // An encrypted PEM must fail, not ask for a pass phrase on the terminal.
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (!raw) return InvalidArgument("not a PEM private key");
  return Adopt(alg, raw, true);
}

Result<AsymmetricKey> AsymmetricKey::FromPublicPem(KeyAlgorithm alg, std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal("out of memory");
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  if (!raw) return InvalidArgument("not a PEM public key");
  return Adopt(alg, raw, false);
}

int AsymmetricKey::bits() const { return EVP_PKEY_get_bits(key_.get()); }

Result<SecretBytes> AsymmetricKey::PrivatePem() const {
  if (!has_private_) return Internal("public key only");
  Bio bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Internal("cannot encode private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return SecretBytes(std::string_view(data, static_cast<size_t>(len)));
}

Result<std::string> AsymmetricKey::PublicPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    return Internal("cannot encode public key");
  }
  return BioText(bio.get());
}

Result<JwkPublic> AsymmetricKey::Jwk() const {
  JwkPublic jwk;
  if (alg_ == KeyAlgorithm::kRs256) {
    ASSIGN_OR_RETURN(Bn n, GetBn(key_.get(), OSSL_PKEY_PARAM_RSA_N));
    ASSIGN_OR_RETURN(Bn e, GetBn(key_.get(), OSSL_PKEY_PARAM_RSA_E));
    jwk.kty = "RSA";
    jwk.n = BnBase64Url(n.get(), 0);
    jwk.e = BnBase64Url(e.get(), 0);
    return jwk;
  }
  ASSIGN_OR_RETURN(Bn x, GetBn(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X));
  ASSIGN_OR_RETURN(Bn y, GetBn(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y));
  jwk.kty = "EC";
  jwk.crv = "P-256";
  jwk.x = BnBase64Url(x.get(), kEcCoordinate);
  jwk.y = BnBase64Url(y.get(), kEcCoordinate);
  return jwk;
}

Result<std::string> AsymmetricKey::Thumbprint() const {
  ASSIGN_OR_RETURN(JwkPublic jwk, Jwk());
  return JwkThumbprint(jwk);
}

std::string JwkThumbprint(const JwkPublic& jwk) {
  // Members are base64url or fixed names, so no JSON escaping is needed.
  std::string canonical = jwk.kty == "RSA"
                              ? R"({"e":")" + jwk.e + R"(","kty":"RSA","n":")" + jwk.n + "\"}"
                              : R"({"crv":")" + jwk.crv + R"(","kty":"EC","x":")" + jwk.x +
                                    R"(","y":")" + jwk.y + "\"}";
  return Base64UrlEncode(AsView(Sha256(canonical)));
}

Result<Bytes> AsymmetricKey::Sign(std::string_view input) const {
  if (!has_private_) return Internal("public key only");
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return Internal("signing failed");
  // One signature per context: lets Final sign in place instead of copying
  // the context first.
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(key_.get()));
  Bytes sig(len);
  if (EVP_DigestSignInit(ctx.get(), nullptr, Sha256Md(), nullptr, key_.get()) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), input.data(), input.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), sig.data(), &len) != 1) {
    return Internal("signing failed");
  }
  sig.resize(len);
  if (alg_ == KeyAlgorithm::kEs256) return DerToJose(sig);
  return sig;
}

bool AsymmetricKey::Verify(std::string_view input, std::string_view signature) const {
  std::optional<Bytes> der;
  if (alg_ == KeyAlgorithm::kEs256) {
    der = JoseToDer(signature);
    if (!der) return false;
    signature = AsView(*der);
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx) EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, Sha256Md(), nullptr, key_.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace latchkey
