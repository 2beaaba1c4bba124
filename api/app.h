// App: the HTTP application without the transport. Routes a request,
// authenticates it, runs the handler inside the one catch-all wrapper, and
// returns a response. http_server.cc feeds it from Pistache; tests may call
// Handle() directly.
//
// Thread-safety: Handle() is safe from many threads once constructed.
#pragma once

#include <optional>
#include <string>

#include "api/http_types.h"
#include "api/router.h"
#include "common/audit_log.h"
#include "common/logger.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/certificates/certificates.h"
#include "services/certificates/key_pool.h"
#include "services/certificates/tokens.h"
#include "services/credentials/credentials.h"
#include "services/oauth/oauth_clients.h"
#include "services/oauth/oauth_flows.h"
#include "services/oauth/oauth_tokens.h"
#include "services/proxy/proxy.h"

namespace latchkey {

struct AppOptions {
  size_t max_body_bytes = 1 << 20;
  std::string public_url;  // e.g. "http://127.0.0.1:8080"
};

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
};

class App {
 public:
  App(AppServices services, AppOptions options);

  App(const App&) = delete;
  App& operator=(const App&) = delete;

  HttpResponse Handle(HttpRequest& request);

  // Sets the base URL once the listening port is known (before serving).
  void SetPublicUrl(std::string url) { options_.public_url = std::move(url); }

  const Router& router() const { return router_; }
  const AppOptions& options() const { return options_; }

 private:
  Result<HttpResponse> Dispatch(HttpRequest& request);

  AppServices services_;
  AppOptions options_;
  Router router_;
};

// Route groups, one file each.
void AddSystemRoutes(Router& router, AppServices& services, const AppOptions& options);
void AddAdminRoutes(Router& router, AppServices& services);
void AddApiKeyRoutes(Router& router, AppServices& services);
void AddAuditRoutes(Router& router, AppServices& services);
void AddCertificateRoutes(Router& router, AppServices& services);
void AddTokenRoutes(Router& router, AppServices& services, const AppOptions& options);
void AddJwksRoutes(Router& router, AppServices& services, const AppOptions& options);
void AddCredentialRoutes(Router& router, AppServices& services);
void AddProxyRoutes(Router& router, AppServices& services);
void AddOAuthRoutes(Router& router, AppServices& services, const AppOptions& options);

// "{public-url}/accounts/{id}": the `iss` of the account's tokens.
std::string AccountIssuer(const AppOptions& options, const std::string& account_id);

}  // namespace latchkey
