// The API key scopes. A key may do exactly what its scopes name; the first
// key of an account has them all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace latchkey::scopes {

inline constexpr char kCertificatesRead[] = "certificates:read";
inline constexpr char kCertificatesWrite[] = "certificates:write";
inline constexpr char kTokensSign[] = "tokens:sign";
inline constexpr char kCredentialsRead[] = "credentials:read";
inline constexpr char kCredentialsWrite[] = "credentials:write";
inline constexpr char kOauthRead[] = "oauth:read";
inline constexpr char kOauthWrite[] = "oauth:write";
inline constexpr char kOauthToken[] = "oauth:token";
inline constexpr char kProxy[] = "proxy";
inline constexpr char kAuditRead[] = "audit:read";
inline constexpr char kApiKeysWrite[] = "api-keys:write";
inline constexpr char kWebhooksWrite[] = "webhooks:write";

// Every scope, in documentation order.
const std::vector<std::string>& All();
bool IsKnown(std::string_view scope);

}  // namespace latchkey::scopes
