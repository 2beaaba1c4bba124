// JSON Schemas of the OAuth routes (routes_oauth.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// OAuthProvider and OAuthToken, in #/components/schemas.
inline constexpr char kOAuthComponents[] = R"({
    "OAuthProvider": {"type":"object","additionalProperties":false,
      "required":["provider","type","configured","clientId","hasClientSecret","clientSecretLast4",
        "scopes","pkce","revocation","apiHosts","apiBaseUrl","updatedAt"],
      "properties":{"provider":{"type":"string"},"type":{"type":"string"},
        "configured":{"type":"boolean"},"clientId":{"type":["string","null"]},
        "hasClientSecret":{"type":"boolean"},"clientSecretLast4":{"type":["string","null"]},
        "scopes":{"type":"array","items":{"type":"string"}},
        "tenant":{"type":"string","description":"Microsoft only; default: common"},
        "pkce":{"type":"boolean"},"revocation":{"type":"boolean"},
        "apiHosts":{"type":"array","items":{"type":"string"}},
        "apiBaseUrl":{"type":["string","null"]},
        "updatedAt":{"type":["string","null"],"format":"date-time"}},
      "examples":[{"provider":"github","type":"oauth2","configured":true,"clientId":"Iv1.8a61f9b3a7aba766",
        "hasClientSecret":true,"clientSecretLast4":"c0de","scopes":["repo","read:user"],
        "pkce":true,"revocation":true,"apiHosts":["api.github.com"],
        "apiBaseUrl":"https://api.github.com","updatedAt":"2026-01-02T03:04:05Z"}]},
    "OAuthToken": {"type":"object","additionalProperties":false,
      "required":["id","provider","identifierId","resource","scopes","status","refreshable",
        "expiresAt","createdAt","lastRefreshedAt","metadata","health"],
      "properties":{"id":{"type":"string"},"provider":{"type":"string"},
        "identifierId":{"type":"string"},"resource":{"type":"string"},
        "scopes":{"type":"array","items":{"type":"string"}},
        "status":{"enum":["active","refresh_failing","needs_reauth","expired"]},
        "refreshable":{"type":"boolean"},
        "expiresAt":{"type":["string","null"],"format":"date-time"},
        "createdAt":{"type":"string","format":"date-time"},
        "lastRefreshedAt":{"type":["string","null"],"format":"date-time"},
        "metadata":{"type":"object"},"health":{"$ref":"#/components/schemas/Health"}},
      "examples":[{"id":"otk_6kq7v2mxd4bn5cfha3jt","provider":"github","identifierId":"user-42",
        "resource":"","scopes":["repo"],"status":"active","refreshable":true,
        "expiresAt":"2026-01-02T11:04:05Z","createdAt":"2026-01-02T03:04:05Z",
        "lastRefreshedAt":null,"metadata":{"login":"octocat"},
        "health":{"status":"healthy","checkedAt":"2026-01-02T03:05:00Z","lastError":null,
          "latencyMs":120}}]}
  })";

inline constexpr char kPutOAuthProviderRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"clientId":{"type":"string"},"clientSecret":{"type":"string","description":"write-only"},"scopes":{"type":["array","null"],"items":{"type":"string"}},"tenant":{"type":["string","null"]}},"required":["clientId","clientSecret"],"examples":[{"clientId":"Iv1.8a61f9b3a7aba766","clientSecret":"0123456789abcdef0123456789abcdef0123c0de","scopes":["repo","read:user"]}]})";
inline constexpr char kOAuthProvider[] = R"({"$ref":"#/components/schemas/OAuthProvider"})";
inline constexpr char kOAuthProviderList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/OAuthProvider"})");
inline constexpr char kOAuthTokenList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/OAuthToken"})");
// Both the body of PUT /oauth/redirect-uris and the answer of both routes.
inline constexpr char kRedirectUris[] =
    R"({"type":"object","additionalProperties":false,"properties":{"redirectUris":{"type":"array","items":{"type":"string"}}},"required":["redirectUris"],"examples":[{"redirectUris":["https://app.example.com/oauth/done"]}]})";
inline constexpr char kCreateSessionRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"provider":{"type":"string"},"identifierId":{"type":"string"},"redirectUri":{"type":"string"},"scopes":{"type":["array","null"],"items":{"type":"string"}},"userScopes":{"type":["array","null"],"items":{"type":"string"}},"delivery":{"type":["string","null"],"enum":["redirect","exchange",null]}},"required":["provider","identifierId","redirectUri"],"examples":[{"provider":"github","identifierId":"user-42","redirectUri":"https://app.example.com/oauth/done","scopes":["repo"]}]})";
inline constexpr char kCreatedSession[] =
    R"({"type":"object","additionalProperties":false,"required":["sessionId","url","expiresAt"],"properties":{"sessionId":{"type":"string"},"url":{"type":"string","description":"send the user's browser here; single use"},"expiresAt":{"type":"string","format":"date-time"},"replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},"examples":[{"sessionId":"oas_5aKTFUzlxHE08D36h2RVq4n7V5fB4acj","url":"https://latchkey.example.com/auth/github?session=oas_5aKTFUzlxHE08D36h2RVq4n7V5fB4acj","expiresAt":"2026-01-02T03:14:05Z"}]})";
// A 302 answers no body: its Location header is the answer.
inline constexpr char kRedirect[] = "";
inline constexpr char kExchangeCodeRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"code":{"type":"string"},"provider":{"type":"string"},"redirectUri":{"type":"string"},"state":{"type":"string"}},"required":["code","provider","redirectUri","state"],"examples":[{"code":"a1b2c3d4","provider":"github","redirectUri":"https://app.example.com/oauth/done","state":"oas_5aKTFUzlxHE08D36h2RVq4n7V5fB4acj.x"}]})";
inline constexpr char kExchangedCode[] =
    R"({"type":"object","additionalProperties":false,"required":["success","provider","scopes","expiresAt","tokenId"],"properties":{"success":{"const":true},"provider":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"expiresAt":{"type":["string","null"],"format":"date-time"},"tokenId":{"type":"string"},"userTokenId":{"type":"string","description":"Slack: the user token, when userScopes were granted"}},"examples":[{"success":true,"provider":"github","scopes":["repo"],"expiresAt":null,"tokenId":"otk_6kq7v2mxd4bn5cfha3jt"}]})";
inline constexpr char kOAuthToken[] = R"({"$ref":"#/components/schemas/OAuthToken"})";
inline constexpr char kAccessToken[] =
    R"({"type":"object","additionalProperties":false,"required":["accessToken","tokenType","expiresAt"],"properties":{"accessToken":{"type":"string"},"tokenType":{"type":"string"},"expiresAt":{"type":["string","null"],"format":"date-time"}},"examples":[{"accessToken":"gho_16C7e42F292c6912E7710c838347Ae178B4a","tokenType":"bearer","expiresAt":"2026-01-02T11:04:05Z"}]})";
inline constexpr char kDeletedOAuthToken[] =
    R"json({"type":"object","additionalProperties":false,"required":["id","deleted","revocation"],"properties":{"id":{"type":"string"},"deleted":{"const":true},"revocation":{"enum":["revoked","already_revoked","refused","unsupported","skipped"],"description":"what the provider made of the revocation: revoked; already_revoked (it says the token was unknown, expired or revoked); refused (another 4xx); unsupported (no revocation endpoint); skipped (revoke=false)"}},"examples":[{"id":"otk_6kq7v2mxd4bn5cfha3jt","deleted":true,"revocation":"revoked"}]})json";

}  // namespace latchkey::schemas
