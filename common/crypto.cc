#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace latchkey {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Algorithms fetched once: EVP_sha256() and EVP_aes_256_gcm() make
// OpenSSL 3 look the implementation up again on every init, which costs
// more than hashing or sealing a short value.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const EVP_CIPHER* AesGcmAlgorithm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kB64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64EncodeWith(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint8_t>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

Result<Bytes> Base64DecodeWith(std::string_view text, bool url) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return InvalidArgument("invalid base64 length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == (url ? '-' : '+'))
      v = 62;
    else if (c == (url ? '_' : '/'))
      v = 63;
    else
      return InvalidArgument("invalid base64 character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero for a canonical encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return InvalidArgument("non-canonical base64");
  return out;
}

}  // namespace

void SecureWipe(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

void SecretBytes::Wipe() {
  SecureWipe(bytes_.data(), bytes_.size());
  bytes_.clear();
}

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    std::fputs("fatal: the OpenSSL CSPRNG failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string Base64UrlEncode(std::string_view data) {
  return Base64EncodeWith(data, kB64Url, false);
}
Result<Bytes> Base64UrlDecode(std::string_view text) { return Base64DecodeWith(text, true); }
std::string Base64Encode(std::string_view data) { return Base64EncodeWith(data, kB64Std, true); }
Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("invalid base64 length");
  return Base64DecodeWith(text, false);
}

std::string HexEncode(std::string_view data) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Bytes Sha256(std::string_view data) {
  Bytes out(32);
  unsigned int len = 0;
  // One context per thread, re-initialized for each digest.
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || !Sha256Algorithm() ||
      EVP_DigestInit_ex2(ctx.get(), Sha256Algorithm(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) {
    std::fputs("fatal: SHA-256 failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(AsView(Sha256(data))); }

Bytes HmacSha256(std::string_view key, std::string_view data) {
  Bytes out(32);
  size_t len = out.size();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &len) == nullptr) {
    std::fputs("fatal: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Bytes> AesGcmSeal(const SecretBytes& key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != kAesKeySize) return InvalidArgument("AES-256-GCM needs a 32-byte key");
  Bytes out = RandomBytes(kGcmNonceSize);
  out.resize(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* ct = out.data() + kGcmNonceSize;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), AesGcmAlgorithm(), key.data(), out.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                                         reinterpret_cast<const unsigned char*>(aad.data()),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, ct + plaintext.size()) !=
          1) {
    return Internal("encryption failed");
  }
  return out;
}

Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad) {
  if (key.size() != kAesKeySize) return InvalidArgument("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) return DataLoss("sealed value is corrupt");
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  size_t ct_len = sealed.size() - kGcmNonceSize - kGcmTagSize;
  Bytes plain(ct_len);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  Bytes tag(in + kGcmNonceSize + ct_len, in + sealed.size());
  bool ok = ctx &&
            EVP_DecryptInit_ex2(ctx.get(), AesGcmAlgorithm(), key.data(), in, nullptr) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                              reinterpret_cast<const unsigned char*>(aad.data()),
                                              static_cast<int>(aad.size())) == 1) &&
            EVP_DecryptUpdate(ctx.get(), plain.data(), &len, in + kGcmNonceSize,
                              static_cast<int>(ct_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &len) == 1;
  if (!ok) {
    SecureWipe(plain.data(), plain.size());
    return DataLoss("sealed value failed authentication");
  }
  return SecretBytes(std::move(plain));
}

}  // namespace latchkey
