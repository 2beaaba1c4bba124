// TokenSecrets: the sealed part of an OAuth token row. Access token,
// refresh token and token type are sealed together, as one small JSON
// object, with the account's data key (AAD kind kTokenSealKind, resource
// the token id), so one Open yields everything a refresh or a revocation
// needs and nothing else in the row is secret.
//
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/status.h"

namespace latchkey {

struct TokenGrant;  // services/oauth/token_endpoint.h

// The envelope's AAD kind for sealed token sets; part of every existing
// sealed value, so it never changes.
inline constexpr char kTokenSealKind[] = "oauth_token";

struct TokenSecrets {
  TokenSecrets() = default;
  TokenSecrets(TokenSecrets&&) = default;
  TokenSecrets& operator=(TokenSecrets&&) = default;
  ~TokenSecrets() {
    SecureWipe(access_token.data(), access_token.size());
    SecureWipe(refresh_token.data(), refresh_token.size());
  }

  std::string access_token;
  std::string refresh_token;  // empty: the grant has none
  std::string token_type;
};

// The plaintext to seal. UpstreamError when a value is not UTF-8: JSON
// cannot carry it, and only a provider's answer can have put it there.
Result<SecretBytes> EncodeTokenSecrets(const TokenSecrets& secrets);

// The inverse of EncodeTokenSecrets. DataLoss when `plaintext` is not what
// EncodeTokenSecrets writes.
Result<TokenSecrets> DecodeTokenSecrets(std::string_view plaintext);

// The parts of `grant` that are sealed.
TokenSecrets SecretsOf(const TokenGrant& grant);

}  // namespace latchkey
