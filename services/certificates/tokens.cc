#include "services/certificates/tokens.h"

#include <array>

#include "common/ids.h"
#include "common/metrics.h"
#include "services/certificates/jws.h"

namespace latchkey {
namespace {

constexpr std::array<const char*, 5> kServerClaims = {"iss", "iat", "nbf", "exp", "jti"};

// A fresh 128-bit token id.
std::string NewJti() {
  uint8_t id[16];
  PublicRandomBytes(id, sizeof(id));
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(id), sizeof(id)));
}

bool IsAudience(const nlohmann::json& aud) {
  if (aud.is_string()) return !aud.get_ref<const std::string&>().empty();
  if (!aud.is_array() || aud.empty() || aud.size() > 32) return false;
  for (const auto& a : aud) {
    if (!a.is_string() || a.get_ref<const std::string&>().empty()) return false;
  }
  return true;
}

bool AudienceContains(const nlohmann::json& aud, const std::string& wanted) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == wanted;
  if (!aud.is_array()) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get_ref<const std::string&>() == wanted) return true;
  }
  return false;
}

Status ValidateRequest(const TokenRequest& r, int64_t max_lifetime) {
  if (!r.claims.is_object()) return InvalidArgument("claims must be an object");
  for (const char* name : kServerClaims) {
    if (r.claims.contains(name)) {
      return InvalidArgument(std::string("claims.") + name + " is set by the server");
    }
  }
  if (r.audience && r.claims.contains("aud")) {
    return InvalidArgument("give the audience as audience or as claims.aud, not both");
  }
  if (r.subject && r.claims.contains("sub")) {
    return InvalidArgument("give the subject as subject or as claims.sub, not both");
  }
  const nlohmann::json* aud = r.audience                 ? &*r.audience
                              : r.claims.contains("aud") ? &r.claims["aud"]
                                                         : nullptr;
  if (aud && !IsAudience(*aud)) {
    return InvalidArgument("audience must be a non-empty string or array of strings");
  }
  if (r.claims.contains("sub") && !r.claims["sub"].is_string()) {
    return InvalidArgument("claims.sub must be a string");
  }
  int64_t lifetime = r.expires_in.value_or(TokenService::kDefaultLifetime);
  if (lifetime < 1 || lifetime > max_lifetime) {
    return InvalidArgument("expiresIn must be between 1 and " + std::to_string(max_lifetime) +
                           " seconds");
  }
  std::string claims_text;
  try {
    claims_text = r.claims.dump();
  } catch (const nlohmann::json::exception&) {
    // Only type_error 316 (invalid UTF-8) comes out of dump().
    return InvalidArgument("claims must be valid UTF-8");
  }
  if (claims_text.size() > TokenService::kMaxClaimsBytes) {
    return InvalidArgument("claims must be at most " +
                           std::to_string(TokenService::kMaxClaimsBytes) + " bytes of JSON");
  }
  return Status::Ok();
}

TokenVerification Invalid(std::string reason) {
  TokenVerification v;
  v.reason = std::move(reason);
  return v;
}

// Checks exp, nbf, iss and aud; returns the reason a token fails, or "".
std::string CheckClaims(const nlohmann::json& claims, int64_t now, const std::string& issuer,
                        const std::optional<std::string>& audience) {
  if (!claims.contains("exp") || !claims["exp"].is_number()) return "token has no exp claim";
  if (now >= claims["exp"].get<double>()) return "token expired";
  if (claims.contains("nbf")) {
    if (!claims["nbf"].is_number()) return "malformed nbf claim";
    if (claims["nbf"].get<double>() > now) return "token not yet valid";
  }
  if (!claims.contains("iss") || claims["iss"] != issuer) return "wrong issuer";
  if (audience) {
    if (!claims.contains("aud") || !AudienceContains(claims["aud"], *audience)) {
      return "wrong audience";
    }
  } else if (claims.contains("aud")) {
    return "token has an audience but none was expected";
  }
  return "";
}

}  // namespace

Result<SignedToken> TokenService::Sign(const std::string& account_id, const std::string& issuer,
                                       const TokenRequest& request) {
  const CertificateOptions& options = certificates_.options();
  RETURN_IF_ERROR(ValidateRequest(request, options.max_token_lifetime.count()));
  ASSIGN_OR_RETURN(auto snap, certificates_.Snapshot(account_id));
  if (!snap->signer) return snap->signer_status;
  const PublishedKey& signer = *snap->signer;

  TimePoint now = clock_.Now();
  TimePoint exp = now + std::chrono::seconds(request.expires_in.value_or(kDefaultLifetime));
  if (signer.cert.expires_at) exp = std::min(exp, *signer.cert.expires_at);
  if (signer.cert.retires_at) exp = std::min(exp, *signer.cert.retires_at);
  if (exp <= now) return FailedPrecondition("the signing key is about to expire; rotate it");

  nlohmann::json payload = request.claims;
  payload["iss"] = issuer;
  if (request.subject) payload["sub"] = *request.subject;
  if (request.audience) payload["aud"] = *request.audience;
  payload["iat"] = ToUnix(now);
  payload["nbf"] = ToUnix(now);
  payload["exp"] = ToUnix(exp);
  std::string jti = NewJti();
  payload["jti"] = jti;
  ASSIGN_OR_RETURN(std::string token, EncodeJws(signer.key, signer.cert.kid, payload));
  static CounterFamily& signed_tokens = Metrics::Default().Counter(
      "latchkey_tokens_signed_total", "JWTs signed, by algorithm", {"algorithm"});
  signed_tokens.Add({std::string(AlgorithmName(signer.cert.algorithm))});
  return SignedToken{std::move(token), signer.cert.kid, std::move(jti), exp};
}

Result<TokenVerification> TokenService::Verify(const std::string& account_id,
                                               const std::string& issuer, std::string_view token,
                                               const std::optional<std::string>& audience) {
  auto decoded = DecodeJws(token);
  if (!decoded.ok()) return Invalid(decoded.status().message());
  const nlohmann::json& header = decoded->header;
  if (!header.contains("alg") || !header["alg"].is_string()) return Invalid("token has no alg");
  std::string alg = header["alg"];
  auto parsed_alg = ParseAlgorithm(alg);
  if (!parsed_alg.ok()) return Invalid("algorithm " + alg + " is not allowed");
  if (header.contains("crit")) return Invalid("unsupported critical header parameters");
  if (!header.contains("kid") || !header["kid"].is_string()) return Invalid("token has no kid");
  std::string kid = header["kid"];

  ASSIGN_OR_RETURN(auto snap, certificates_.Snapshot(account_id));
  const PublishedKey* key = snap->Find(kid);
  if (!key) return Invalid("unknown or revoked key");
  if (*parsed_alg != key->cert.algorithm) return Invalid("algorithm does not match the key");
  if (!key->key.Verify(decoded->signing_input, AsView(decoded->signature))) {
    return Invalid("invalid signature");
  }
  std::string reason = CheckClaims(decoded->payload, ToUnix(clock_.Now()), issuer, audience);
  if (!reason.empty()) return Invalid(std::move(reason));
  TokenVerification v;
  v.valid = true;
  v.claims = std::move(decoded->payload);
  v.kid = std::move(kid);
  v.algorithm = std::move(alg);
  return v;
}

}  // namespace latchkey
