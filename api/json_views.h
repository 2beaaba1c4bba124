// JSON views of service types (camelCase, ISO 8601 UTC).
#pragma once

#include <nlohmann/json.hpp>

#include "common/audit_log.h"
#include "services/accounts/accounts.h"
#include "services/accounts/api_keys.h"
#include "services/certificates/certificate.h"
#include "services/credentials/credentials.h"
#include "services/events/health.h"

namespace latchkey {

struct OAuthTokenInfo;  // services/oauth/oauth_tokens.h

nlohmann::json ToJson(const Account& account);
nlohmann::json ToJson(const ApiKey& key);
nlohmann::json ToJson(const AuditEvent& event);
nlohmann::json ToJson(const Certificate& cert);
nlohmann::json ToJson(const RotationPolicy& policy);
nlohmann::json OptionalTimeJson(const std::optional<TimePoint>& t);
// hasXApiKey / xApiKeyLast4 for every provider, allowedHosts, usage, updatedAt.
nlohmann::json ToJson(const CredentialsSummary& summary);
// {"status","checkedAt","lastError","latencyMs"}; `unknown` for a credential never tested.
nlohmann::json ToJson(const Health& health);
nlohmann::json HealthOf(const std::map<std::string, Health>& all, const std::string& credential);
// Masked metadata only.
nlohmann::json ToJson(const SecretInfo& secret);
// Never a token: id, provider, identifierId, status, scopes, expiry, metadata.
nlohmann::json ToJson(const OAuthTokenInfo& token);

}  // namespace latchkey
