// JWS compact serialization (RFC 7515) for JWTs signed with an
// AsymmetricKey. Encoding writes the header {"alg","kid","typ":"JWT"};
// decoding is strict: three segments of canonical unpadded base64url, a
// header and payload that are JSON objects, and nothing else.
//
// Thread-safety: stateless functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "services/certificates/asymmetric_key.h"

namespace latchkey {

// Tokens longer than this are refused before any parsing.
inline constexpr size_t kMaxTokenBytes = 64 * 1024;

struct DecodedJws {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;  // "header.payload" as received
  Bytes signature;
};

// "<header>.<payload>.<signature>" signed by `key`.
Result<std::string> EncodeJws(const AsymmetricKey& key, std::string_view kid,
                              const nlohmann::json& payload);

// InvalidArgument (a short reason fit for a caller) for anything that is
// not a well-formed compact JWS. Does not check the signature.
Result<DecodedJws> DecodeJws(std::string_view token);

}  // namespace latchkey
