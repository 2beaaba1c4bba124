// Cryptographic primitives on OpenSSL 3's EVP interfaces.
//
// Everything here is a thin wrapper: OpenSSL handles live in unique_ptrs
// inside crypto.cc, failures come back as Status, and nothing here logs.
// SecretBytes holds key material or plaintext and wipes it when destroyed.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace latchkey {

using Bytes = std::vector<uint8_t>;

// Overwrites a buffer in a way the compiler may not remove.
void SecureWipe(void* data, size_t size);

// Wipes every string inside a parsed JSON document (nlohmann::json or
// alike), nested ones included, before it is freed.
template <typename Json>
void WipeJsonStrings(Json& json) {
  if (json.is_string()) {
    auto& s = json.template get_ref<std::string&>();
    SecureWipe(s.data(), s.size());
  } else if (json.is_structured()) {
    for (auto& item : json) WipeJsonStrings(item);
  }
}

// Owns sensitive bytes (keys, plaintext secrets); wiped on destruction and
// on reassignment. Move-only so copies do not linger.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(Bytes bytes) : bytes_(std::move(bytes)) {}
  explicit SecretBytes(std::string_view text) : bytes_(text.begin(), text.end()) {}
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  void Wipe();

 private:
  Bytes bytes_;
};

inline std::string_view AsView(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// `n` bytes from OpenSSL's CSPRNG. Aborts the process if the CSPRNG fails:
// there is no safe way to continue without randomness.
Bytes RandomBytes(size_t n);

// RFC 4648 §5, no padding.
std::string Base64UrlEncode(std::string_view data);
// Accepts unpadded (and padded) base64url; nullopt-like error on bad input.
Result<Bytes> Base64UrlDecode(std::string_view text);
// RFC 4648 §4 with padding.
std::string Base64Encode(std::string_view data);
Result<Bytes> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view data);

// 32-byte digests.
Bytes Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
Bytes HmacSha256(std::string_view key, std::string_view data);

// Compares without an early exit; different lengths compare unequal.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

constexpr size_t kAesKeySize = 32;
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;

// AES-256-GCM with a fresh random 96-bit nonce. Output: nonce | ciphertext |
// tag. InvalidArgument if the key is not 32 bytes.
Result<Bytes> AesGcmSeal(const SecretBytes& key, std::string_view plaintext, std::string_view aad);

// Inverse of AesGcmSeal. DataLoss if the input is truncated, was altered, or
// was sealed with another key or AAD; the message never says which.
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad);

}  // namespace latchkey
