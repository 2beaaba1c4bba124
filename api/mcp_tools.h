// The tools latchkeyd's MCP server offers (services/mcp runs them): what
// the HTTP API does, in the shape a model calls. Each reads its arguments
// as a JSON body (an unknown or mistyped one is InvalidArgument naming it)
// and goes through the same services and checks as the routes:
//   list_credentials        credentials:read  masked provider keys and secrets
//   proxy_request           proxy             /v1/proxy, answer bounded to 64 KiB
//   list_oauth_connections  oauth:read        connections, never a token
//   call_oauth_api          proxy             /proxy/oauth/{tokenId}/{path}
//   sign_token              tokens:sign       POST /tokens
//   get_jwks_url            any key           issuer, JWKS and discovery URLs
#pragma once

#include <vector>

#include "api/app.h"

namespace latchkey {

struct McpToolDeps {
  CredentialService& credentials;
  ProxyService& proxy;
  OAuthTokens& oauth_tokens;
  TokenService& tokens;
  CertificateService& certificates;  // for the longest token lifetime
  Logger& logger;                    // signing is logged, as on POST /tokens
  const AppOptions& options;
};

std::vector<McpTool> LatchkeyMcpTools(const McpToolDeps& deps);

// The most of an upstream's body proxy_request and call_oauth_api return.
inline constexpr size_t kMaxToolBodyBytes = 64 * 1024;

}  // namespace latchkey
