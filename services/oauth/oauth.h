// The OAuth service assembled: registry, token endpoint client, client
// registrations, tokens and flows, wired as latchkeyd wires them.
#pragma once

#include <vector>

#include "common/migrations.h"
#include "services/oauth/oauth_clients.h"
#include "services/oauth/oauth_flows.h"
#include "services/oauth/oauth_tokens.h"
#include "services/oauth/providers.h"
#include "services/oauth/token_endpoint.h"

namespace latchkey {

struct OAuthService {
  OAuthService(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
               OAuthProviders registry, OAuthTokenOptions token_options = {},
               TokenEndpointOptions endpoint_options = {})
      : providers(std::move(registry)),
        endpoint(endpoint_options),
        clients(db, envelope, audit, clock, providers),
        tokens(db, envelope, audit, clock, providers, clients, endpoint, std::move(token_options)),
        flows(db, envelope, audit, clock, providers, clients, tokens, endpoint),
        credentials(tokens) {}

  static Status Migrate(Database& db) {
    RETURN_IF_ERROR(ApplyMigrations(db, "oauth_clients", OAuthClients::Migrations()));
    RETURN_IF_ERROR(ApplyMigrations(db, "oauth_tokens", OAuthTokens::Migrations()));
    return ApplyMigrations(db, "oauth_sessions", OAuthFlows::Migrations());
  }
  static std::vector<std::string> OwnedTables() {
    std::vector<std::string> out = OAuthClients::OwnedTables();
    for (auto& t : OAuthTokens::OwnedTables()) out.push_back(t);
    for (auto& t : OAuthFlows::OwnedTables()) out.push_back(t);
    return out;
  }

  OAuthProviders providers;
  TokenEndpoint endpoint;
  OAuthClients clients;
  OAuthTokens tokens;
  OAuthFlows flows;
  OAuthTokenCredentials credentials;  // the proxy's view
};

}  // namespace latchkey
