// TokenEndpoint: the client side of a provider's token and revocation
// endpoints (RFC 6749 §4.1.3 and §6, RFC 7636 §4.5, RFC 7009), speaking each
// provider's dialect.
//
// Errors are classified for the callers that decide what to do next:
//   kNeedsReauth     the grant is dead (invalid_grant and each provider's
//                    equivalent: Slack's invalid_refresh_token, GitHub's
//                    bad_refresh_token, Microsoft's interaction_required);
//                    only the user can fix it by authorizing again;
//   kUpstreamError / kUpstreamTimeout
//                    the provider could not be reached, answered 5xx or 429,
//                    or answered something unreadable; worth retrying;
//   kFailedPrecondition
//                    the provider refused the request for another reason
//                    (invalid_client, redirect_uri mismatch, ...).
// Messages name the provider's error code, never a token or secret.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"
#include "services/oauth/providers.h"

namespace latchkey {

// A token set as a provider issued it.
struct TokenGrant {
  TokenGrant() = default;
  TokenGrant(const TokenGrant&) = delete;
  TokenGrant& operator=(const TokenGrant&) = delete;
  TokenGrant(TokenGrant&&) = default;
  TokenGrant& operator=(TokenGrant&&) = default;
  ~TokenGrant() {
    SecureWipe(access_token.data(), access_token.size());
    SecureWipe(refresh_token.data(), refresh_token.size());
  }

  std::string access_token;
  std::string refresh_token;  // empty: none issued (keep the old one on refresh)
  std::string token_type = "Bearer";
  std::optional<int64_t> expires_in;  // seconds; unset: does not expire
  std::vector<std::string> scopes;    // as granted; empty when not reported
  std::string metadata_json = "{}";   // non-secret facts kept with the token
  // Slack: the authed_user token issued beside the bot token.
  std::unique_ptr<TokenGrant> user;
};

// The account's registration with a provider, opened for one request.
struct OAuthClientCredentials {
  OAuthClientCredentials() = default;
  OAuthClientCredentials(const OAuthClientCredentials&) = delete;
  OAuthClientCredentials& operator=(const OAuthClientCredentials&) = delete;
  OAuthClientCredentials(OAuthClientCredentials&&) = default;
  ~OAuthClientCredentials() { SecureWipe(client_secret.data(), client_secret.size()); }

  std::string client_id;
  std::string client_secret;
  std::vector<std::string> scopes;  // effective default scopes
  std::string tenant = "common";
};

// What a revocation endpoint made of the request.
enum class Revocation {
  kRevoked,         // done (RFC 7009 answers this for unknown tokens too)
  kAlreadyRevoked,  // the provider says the token is unknown, expired or revoked
  kRefused,         // another 4xx: the request itself was refused (e.g. bad client)
};
// "revoked", "already_revoked" or "refused".
std::string_view RevocationName(Revocation r);

struct TokenEndpointOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{30000};
  size_t max_response_bytes = 1 << 20;
};

class TokenEndpoint {
 public:
  explicit TokenEndpoint(TokenEndpointOptions options = {}) : options_(options) {}

  // Reads a token endpoint's answer in the provider's dialect.
  static Result<TokenGrant> ParseResponse(const OAuthProvider& provider, int http_status,
                                          std::string_view body);

  // grant_type=authorization_code; `code_verifier` when the flow used PKCE.
  Result<TokenGrant> ExchangeCode(const OAuthProvider& provider,
                                  const OAuthClientCredentials& client, std::string_view code,
                                  std::string_view redirect_uri,
                                  const std::optional<std::string>& code_verifier) const;
  // grant_type=refresh_token.
  Result<TokenGrant> Refresh(const OAuthProvider& provider, const OAuthClientCredentials& client,
                             std::string_view refresh_token) const;
  // Revokes a grant at the provider's revocation endpoint (the provider
  // must have one), in its RevocationDialect: by the refresh token where
  // RFC 7009 ties the grant to it, else by the access token. An error
  // (UpstreamError, UpstreamTimeout) only when the endpoint could not be
  // reached or answered 429 or 5xx: then nothing is known to have happened.
  Result<Revocation> Revoke(const OAuthProvider& provider, const OAuthClientCredentials& client,
                            std::string_view access_token, std::string_view refresh_token) const;

 private:
  Result<TokenGrant> Post(const OAuthProvider& provider, const OAuthClientCredentials& client,
                          std::vector<std::pair<std::string, std::string>> fields) const;

  TokenEndpointOptions options_;
};

}  // namespace latchkey
