// App: the HTTP application without the transport. Routes a request,
// authenticates it, runs the handler inside the one catch-all wrapper, and
// returns a response. http_server.cc feeds it from Pistache; tests may call
// Handle() directly.
//
// Thread-safety: Handle() is safe from many threads once constructed.
#pragma once

#include <optional>
#include <string>

#include "api/conditional.h"
#include "api/http_types.h"
#include "api/openapi.h"
#include "api/router.h"
#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/logger.h"
#include "common/rate_limiter.h"
#include "common/worker_pool.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/accounts/idempotency.h"
#include "services/certificates/certificates.h"
#include "services/certificates/key_pool.h"
#include "services/certificates/tokens.h"
#include "services/credentials/credentials.h"
#include "services/events/health.h"
#include "services/events/usage.h"
#include "services/events/webhooks.h"
#include "services/mcp/mcp_server.h"
#include "services/oauth/oauth_clients.h"
#include "services/oauth/oauth_flows.h"
#include "services/oauth/oauth_tokens.h"
#include "services/proxy/address_policy.h"
#include "services/proxy/proxy.h"

namespace latchkey {

class DevProviders;  // api/dev_providers.h

// Request rates, per process (see common/rate_limiter.h). A disabled
// limit (rate 0) never refuses.
struct RateLimits {
  RateLimit per_key{500, 1000};            // requests authenticated by one API key
  RateLimit per_address{200, 400};         // public routes, per client address
  RateLimit auth_failures{60.0 / 60, 60};  // failed authentications per client address
};

struct AppOptions {
  size_t max_body_bytes = 1 << 20;
  std::string public_url;     // e.g. "http://127.0.0.1:8080"
  std::string metrics_token;  // bearer token for GET /metrics; empty: 404
  RateLimits rate_limits;
  // Peers whose X-Forwarded-For is believed (reverse proxies, load
  // balancers); from anyone else the header is ignored.
  std::vector<Cidr> trusted_proxies;
  // `latchkeyd dev`: the dev routes (api/dev_mode.h), and /healthz says so.
  bool dev_mode = false;
  // Time for the rate limits; replaceable in tests.
  std::function<RateLimiter::Time()> steady_now = [] { return std::chrono::steady_clock::now(); };
};

// The part of a client address that rate limits and connection caps count
// by: the address itself for IPv4, its /64 for IPv6.
std::string RateBucketAddress(const std::string& address);

// The client's address: the peer's, or with a trusted peer the last address
// in X-Forwarded-For that is not itself a trusted proxy.
std::string ClientAddress(const std::string& peer, const std::optional<std::string>& forwarded_for,
                          const std::vector<Cidr>& trusted_proxies);

// What a handler gets: the request, who is calling, and the audit context.
struct RequestContext {
  const HttpRequest& request;
  std::optional<Principal> principal;  // set for kApiKey routes
  AuditContext audit;

  const std::string& param(const std::string& name) const { return request.path_params.at(name); }
  const std::string& account_id() const { return principal->account_id; }
};

struct AppServices {
  Database& db;
  AccountService& accounts;
  ApiKeyService& api_keys;
  AuditLog& audit;
  const AdminKey& admin_key;
  Logger& logger;
  CertificateService& certificates;
  TokenService& tokens;
  KeyPool& key_pool;
  CredentialService& credentials;
  ProxyService& proxy;
  OAuthClients& oauth_clients;
  OAuthFlows& oauth_flows;
  OAuthTokens& oauth_tokens;
  // Audit events written off the request path; reads of the audit log and
  // of use counts sync with it.
  AuditWriter& audit_writer;
  WebhookService& webhooks;
  UsageService& usage;
  HealthService& health;
  // Where blocking routes run; without one (tests calling Handle) they run
  // on the caller's thread.
  WorkerPool* workers = nullptr;
  // Time for MCP sessions; replaceable in tests.
  const Clock* clock = &SystemClock::Get();
};

class App {
 public:
  App(AppServices services, AppOptions options);
  ~App();

  App(const App&) = delete;
  App& operator=(const App&) = delete;

  HttpResponse Handle(HttpRequest& request);

  // Sets the base URL once the listening port is known (before serving).
  void SetPublicUrl(std::string url) { options_.public_url = std::move(url); }

  const Router& router() const { return router_; }
  const AppOptions& options() const { return options_; }

 private:
  Result<HttpResponse> Dispatch(HttpRequest& request);
  // Authenticates the caller of a matched route and runs its handler. With
  // `needs_worker` (on a request thread), only if that reads and writes
  // nothing: otherwise sets *needs_worker and runs nothing.
  Result<HttpResponse> Invoke(const Route& route, HttpRequest& request, bool* needs_worker);
  // A conditional route (RouteDoc::conditional): with its ETag, and for a
  // write with If-Match, only while the resource still matches.
  Result<HttpResponse> RunConditional(const Route& route, RequestContext& ctx);
  // A response that runs Invoke on the worker pool and streams its answer
  // back (503 with Retry-After when the pool's queue is full).
  HttpResponse Defer(const Route& route, const HttpRequest& request);
  // `run`'s response, with failures and exceptions made JSON errors.
  HttpResponse Guarded(const HttpRequest& request,
                       const std::function<Result<HttpResponse>()>& run);
  // Authenticates an API-key or admin route; refuses callers that failed
  // too often (429) and counts each new failure.
  // Sets *retry_after (seconds) when it refuses for that reason. With
  // `needs_worker`, only from memory: sets *needs_worker (and returns Ok)
  // when the key must be read or written first.
  Status Authenticate(const Route& route, const std::string& token, RequestContext& ctx,
                      int64_t* retry_after, bool* needs_worker);
  // 429 with Retry-After once `name`'s bucket is empty.
  std::optional<HttpResponse> Limited(const std::string& name, const RateLimit& limit,
                                      std::string_view message);

  AppServices services_;
  AppOptions options_;
  McpServer mcp_;
  IdempotencyKeys idempotency_;
  ConditionalWrites conditional_;
  OpenApiCache openapi_;
  std::unique_ptr<DevProviders> dev_providers_;  // dev mode only
  Router router_;
  RateLimiter limiter_;
};

// Route families, one routes_<family>.cc each. Each family gets only the
// services it uses (references; they outlive the App) and registers one
// table of named handlers. `options` is the App's own, read per request:
// its public URL is set once the port is known (SetPublicUrl).

struct SystemRouteDeps {
  Database& db;
  const Router& router;  // for the OpenAPI document
  const AppOptions& options;
  OpenApiCache& openapi;
};
void AddSystemRoutes(Router& router, const SystemRouteDeps& deps);

struct AdminRouteDeps {
  AccountService& accounts;
  KeyPool& key_pool;
};
void AddAdminRoutes(Router& router, const AdminRouteDeps& deps);

struct ApiKeyRouteDeps {
  ApiKeyService& api_keys;
  ProxyService& proxy;  // whether a restriction's credentials exist
};
void AddApiKeyRoutes(Router& router, const ApiKeyRouteDeps& deps);

struct AuditRouteDeps {
  AuditWriter& audit_writer;  // reads sync with the events still queued
};
void AddAuditRoutes(Router& router, const AuditRouteDeps& deps);

struct CertificateRouteDeps {
  CertificateService& certificates;
  const Clock& clock;  // for each certificate's health
};
void AddCertificateRoutes(Router& router, const CertificateRouteDeps& deps);

struct TokenRouteDeps {
  CertificateService& certificates;  // for the longest token lifetime
  TokenService& tokens;
  Logger& logger;  // issuance is logged, not audited
  const AppOptions& options;
};
void AddTokenRoutes(Router& router, const TokenRouteDeps& deps);
// The body of POST /tokens (also the MCP sign_token tool's arguments).
Result<TokenRequest> ParseTokenRequest(const std::string& text, int64_t max_lifetime);

struct JwksRouteDeps {
  CertificateService& certificates;
  AccountService& accounts;  // tells an empty account from no account
  const AppOptions& options;
};
void AddJwksRoutes(Router& router, const JwksRouteDeps& deps);

struct WebhookRouteDeps {
  WebhookService& webhooks;
};
void AddWebhookRoutes(Router& router, const WebhookRouteDeps& deps);

struct HealthRouteDeps {
  HealthService& health;
  CredentialService& credentials;
  OAuthTokens& tokens;
};
void AddHealthRoutes(Router& router, const HealthRouteDeps& deps);

struct UsageRouteDeps {
  UsageService& usage;
};
void AddUsageRoutes(Router& router, const UsageRouteDeps& deps);

struct CredentialRouteDeps {
  CredentialService& credentials;
  HealthService& health;
};
void AddCredentialRoutes(Router& router, const CredentialRouteDeps& deps);

struct ProxyRouteDeps {
  ProxyService& proxy;
};
void AddProxyRoutes(Router& router, const ProxyRouteDeps& deps);

struct OAuthRouteDeps {
  OAuthClients& clients;
  OAuthFlows& flows;
  OAuthTokens& tokens;
  const AppOptions& options;
  HealthService& health;
  const Clock& clock;
};
void AddOAuthRoutes(Router& router, const OAuthRouteDeps& deps);

struct McpRouteDeps {
  McpServer& server;
  const AppOptions& options;  // requests from the public URL's origin are allowed
};
void AddMcpRoutes(Router& router, const McpRouteDeps& deps);

// "{public-url}/accounts/{id}": the `iss` of the account's tokens.
std::string AccountIssuer(const AppOptions& options, const std::string& account_id);

}  // namespace latchkey
