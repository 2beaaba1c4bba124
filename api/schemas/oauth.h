// JSON Schemas of the OAuth routes (routes_oauth.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kPutOAuthProviderRequest[] =
    R"({"type":"object","properties":{"clientId":{"type":"string"},"clientSecret":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"tenant":{"type":"string"}},"required":["clientId","clientSecret"]})";
inline constexpr char kOAuthProvider[] =
    R"({"type":"object","properties":{"provider":{"type":"string"},"type":{"type":"string"},"configured":{"type":"boolean"},"clientId":{"type":["string","null"]},"clientSecretLast4":{"type":["string","null"]},"scopes":{"type":"array","items":{"type":"string"}},"tenant":{"type":"string"},"pkce":{"type":"boolean"},"revocation":{"type":"boolean"},"apiHosts":{"type":"array","items":{"type":"string"}},"apiBaseUrl":{"type":["string","null"]},"updatedAt":{"type":["string","null"]}}})";
// {"data": [...]}: the provider and stored-token lists.
inline constexpr char kOAuthDataList[] =
    R"({"type":"object","properties":{"data":{"type":"array"}}})";
// Both the body of PUT /oauth/redirect-uris and the answer of both routes.
inline constexpr char kRedirectUris[] =
    R"({"type":"object","properties":{"redirectUris":{"type":"array","items":{"type":"string"}}},"required":["redirectUris"]})";
inline constexpr char kCreateSessionRequest[] =
    R"({"type":"object","properties":{"provider":{"type":"string"},"identifierId":{"type":"string"},"redirectUri":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"userScopes":{"type":"array","items":{"type":"string"}},"delivery":{"type":"string","enum":["redirect","exchange"]}},"required":["provider","identifierId","redirectUri"]})";
inline constexpr char kCreatedSession[] =
    R"({"type":"object","properties":{"sessionId":{"type":"string"},"url":{"type":"string"},"expiresAt":{"type":"string"}}})";
inline constexpr char kRedirect[] = R"({"description":"302 redirect"})";
inline constexpr char kExchangeCodeRequest[] =
    R"({"type":"object","properties":{"code":{"type":"string"},"provider":{"type":"string"},"redirectUri":{"type":"string"},"state":{"type":"string"}},"required":["code","provider","redirectUri","state"]})";
inline constexpr char kExchangedCode[] =
    R"({"type":"object","properties":{"success":{"type":"boolean"},"provider":{"type":"string"},"scopes":{"type":"array"},"expiresAt":{"type":["string","null"]},"tokenId":{"type":"string"},"userTokenId":{"type":"string"}}})";
inline constexpr char kOAuthToken[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"provider":{"type":"string"},"identifierId":{"type":"string"},"resource":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"status":{"type":"string","enum":["active","refresh_failing","needs_reauth","expired"]},"refreshable":{"type":"boolean"},"expiresAt":{"type":["string","null"]},"createdAt":{"type":"string"},"lastRefreshedAt":{"type":["string","null"]},"metadata":{"type":"object"}}})";
inline constexpr char kAccessToken[] =
    R"({"type":"object","properties":{"accessToken":{"type":"string"},"tokenType":{"type":"string"},"expiresAt":{"type":["string","null"]}}})";
inline constexpr char kDeletedOAuthToken[] =
    R"json({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"},"revocation":{"enum":["revoked","already_revoked","refused","unsupported","skipped"],"description":"what the provider made of the revocation: revoked; already_revoked (it says the token was unknown, expired or revoked); refused (another 4xx); unsupported (no revocation endpoint); skipped (revoke=false)"}}})json";

}  // namespace latchkey::schemas
