#include "api/json_views.h"

namespace latchkey {

nlohmann::json OptionalTimeJson(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatIso8601(*t)) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const Account& account) {
  return {{"id", account.id}, {"name", account.name}, {"createdAt", FormatIso8601(account.created_at)}};
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

}  // namespace latchkey
