#include "api/json_views.h"

#include "services/oauth/oauth_tokens.h"

namespace latchkey {
namespace {

// "openaiApiKey" -> "OpenaiApiKey", for the has* summary fields.
std::string Capitalized(const std::string& field) {
  std::string out = field;
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

}  // namespace

nlohmann::json OptionalTimeJson(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatIso8601(*t)) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const Account& account) {
  return {
      {"id", account.id}, {"name", account.name}, {"createdAt", FormatIso8601(account.created_at)}};
}

nlohmann::json ToJson(const ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"scopes", key.scopes},
          {"createdAt", FormatIso8601(key.created_at)},
          {"expiresAt", OptionalTimeJson(key.expires_at)},
          {"lastUsedAt", OptionalTimeJson(key.last_used_at)},
          {"credentials", key.credentials ? nlohmann::json(*key.credentials) : nlohmann::json()}};
}

nlohmann::json ToJson(const AuditEvent& e) {
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [k, v] : e.details) details[k] = v;
  return {{"id", e.id},
          {"account", e.account_id},
          {"seq", e.seq},
          {"time", FormatIso8601(e.time)},
          {"actor", e.actor},
          {"action", e.action},
          {"resource", e.resource},
          {"outcome", e.outcome},
          {"requestId", e.request_id},
          {"clientAddress", e.client_address},
          {"details", details},
          {"prevHash", e.prev_hash},
          {"hash", e.hash}};
}

nlohmann::json ToJson(const Certificate& c) {
  return {{"id", c.id},
          {"account", c.account_id},
          {"kid", c.kid},
          {"name", c.name},
          {"publicKey", c.public_key_pem},
          {"algorithm", AlgorithmName(c.algorithm)},
          {"keySize", c.key_size},
          {"custody", CustodyName(c.custody)},
          {"status", StatusName(c.status)},
          {"expiresAt", OptionalTimeJson(c.expires_at)},
          {"metadata", c.metadata},
          {"createdAt", FormatIso8601(c.created_at)},
          {"updatedAt", FormatIso8601(c.updated_at)},
          {"activatesAt", OptionalTimeJson(c.activates_at)},
          {"retiresAt", OptionalTimeJson(c.retires_at)},
          {"revokedAt", OptionalTimeJson(c.revoked_at)}};
}

nlohmann::json ToJson(const RotationPolicy& p) {
  return {{"rotationPeriod", p.rotation_period},
          {"overlap", p.overlap},
          {"algorithm", AlgorithmName(p.algorithm)},
          {"keySize", p.key_size},
          {"nextRotationAt", FormatIso8601(p.next_rotation_at)},
          {"createdAt", FormatIso8601(p.created_at)},
          {"updatedAt", FormatIso8601(p.updated_at)}};
}

nlohmann::json ToJson(const CredentialsSummary& summary) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json hosts = nlohmann::json::object();
  nlohmann::json base_urls = nlohmann::json::object();
  nlohmann::json usage = nlohmann::json::object();
  for (const ProviderSummary& p : summary.providers) {
    const std::string& f = p.provider->field;
    out["has" + Capitalized(f)] = p.has_key;
    out[f + "Last4"] = p.last4 ? nlohmann::json(*p.last4) : nlohmann::json(nullptr);
    hosts[p.provider->id] = p.allowed_hosts;
    base_urls[p.provider->id] = p.base_url;
    if (p.has_key) {
      usage[p.provider->id] = {{"updatedAt", OptionalTimeJson(p.updated_at)},
                               {"lastUsedAt", OptionalTimeJson(p.last_used_at)},
                               {"useCount", p.use_count}};
    }
  }
  out["allowedHosts"] = hosts;
  out["baseUrls"] = base_urls;
  out["usage"] = usage;
  out["updatedAt"] = OptionalTimeJson(summary.updated_at);
  return out;
}

nlohmann::json ToJson(const Health& h) {
  return {
      {"status", std::string(HealthStatusName(h.status))},
      {"checkedAt", OptionalTimeJson(h.checked_at)},
      {"lastError", h.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.last_error)},
      {"latencyMs", h.checked_at ? nlohmann::json(h.latency_ms) : nlohmann::json(nullptr)}};
}

nlohmann::json HealthOf(const std::map<std::string, Health>& all, const std::string& credential) {
  auto found = all.find(credential);
  return ToJson(found == all.end() ? Health{} : found->second);
}

nlohmann::json ToJson(const SecretInfo& s) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : s.parts) {
    nlohmann::json last4 = p.last4 ? nlohmann::json(*p.last4) : nlohmann::json(nullptr);
    parts.push_back({{"part", p.part}, {"last4", last4}});
  }
  nlohmann::json out = {{"id", s.id},
                        {"name", s.name},
                        {"type", std::string(SecretTypeName(s.type))},
                        {"allowedHosts", s.allowed_hosts},
                        {"baseUrl", s.base_url ? nlohmann::json(*s.base_url) : nlohmann::json()},
                        {"masked", parts},
                        {"version", s.version},
                        {"createdAt", FormatIso8601(s.created_at)},
                        {"updatedAt", FormatIso8601(s.updated_at)},
                        {"lastUsedAt", OptionalTimeJson(s.last_used_at)},
                        {"useCount", s.use_count}};
  if (s.param) out["param"] = *s.param;
  return out;
}

nlohmann::json ToJson(const OAuthTokenInfo& t) {
  auto metadata = nlohmann::json::parse(t.metadata_json, nullptr, false);
  if (metadata.is_discarded()) metadata = nlohmann::json::object();
  return {{"id", t.id},
          {"provider", t.provider},
          {"identifierId", t.identifier_id},
          {"resource", t.resource},
          {"scopes", t.scopes},
          {"status", t.status},
          {"refreshable", t.refreshable},
          {"expiresAt", OptionalTimeJson(t.expires_at)},
          {"createdAt", FormatIso8601(t.created_at)},
          {"lastRefreshedAt", OptionalTimeJson(t.last_refreshed_at)},
          {"metadata", metadata}};
}

}  // namespace latchkey
