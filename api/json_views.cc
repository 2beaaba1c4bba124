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
          {"lastUsedAt", OptionalTimeJson(key.last_used_at)}};
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

}  // namespace latchkey
