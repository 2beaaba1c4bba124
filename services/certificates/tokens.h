// TokenService: JWTs signed with an account's current managed key, and
// verification against the account's own published keys.
//
// Signing sets iss (the account's issuer URL), iat, nbf, exp and jti; a
// caller cannot override them. A token never outlives its key: exp is cut
// to the key's expiry or retirement.
//
// Verification accepts only this account's verifiable keys, and only the
// one algorithm each key has: "none", HS*, or RS256 presented for an ES256
// key are all refused before any signature check. Time comes from the
// injected clock.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "services/certificates/certificates.h"

namespace latchkey {

struct TokenRequest {
  nlohmann::json claims = nlohmann::json::object();
  std::optional<int64_t> expires_in;       // seconds; default 900
  std::optional<nlohmann::json> audience;  // a string or an array of strings
  std::optional<std::string> subject;
};

struct SignedToken {
  std::string token;
  std::string kid;
  std::string jti;
  TimePoint expires_at;
};

struct TokenVerification {
  bool valid = false;
  std::string reason;  // why not, when !valid
  nlohmann::json claims;
  std::string kid;
  std::string algorithm;
};

class TokenService {
 public:
  static constexpr int64_t kDefaultLifetime = 900;
  static constexpr size_t kMaxClaimsBytes = 16 * 1024;

  TokenService(CertificateService& certificates, const Clock& clock)
      : certificates_(certificates), clock_(clock) {}

  // InvalidArgument for reserved or oversized claims, a conflicting
  // audience/subject, or a lifetime out of range; FailedPrecondition when
  // the account has no managed key that can sign.
  Result<SignedToken> Sign(const std::string& account_id, const std::string& issuer,
                           const TokenRequest& request);

  // A verdict for any input; errors only when storage fails.
  Result<TokenVerification> Verify(const std::string& account_id, const std::string& issuer,
                                   std::string_view token,
                                   const std::optional<std::string>& audience);

 private:
  CertificateService& certificates_;
  const Clock& clock_;
};

}  // namespace latchkey
