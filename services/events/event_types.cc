#include "services/events/event_types.h"

#include <algorithm>
#include <utility>

#include "common/json_text.h"

namespace latchkey {
namespace {

// One audited action that raises one webhook event. `outcome` empty
// matches any; `id_field` names the resource id in the payload; `copied`
// lists (detail, payload field) pairs carried over when present.
struct Mapping {
  std::string_view action;
  std::string_view outcome;
  const char* type;
  const char* id_field;
  std::vector<std::pair<std::string_view, const char*>> copied;
};

const Mapping kMappings[] = {
    {"oauth.token.create",
     "success",
     "oauth.connection.created",
     "tokenId",
     {{"provider", "provider"}, {"identifierId", "identifierId"}}},
    {"oauth.token.replace",
     "success",
     "oauth.connection.reconnected",
     "tokenId",
     {{"provider", "provider"}, {"identifierId", "identifierId"}}},
    {"oauth.token.refresh",
     "failure",
     "oauth.token.refresh_failed",
     "tokenId",
     {{"provider", "provider"}, {"reason", "reason"}, {"retryInSeconds", "retryInSeconds"}}},
    {"oauth.token.needs_reauth",
     "",
     "oauth.token.needs_reauth",
     "tokenId",
     {{"provider", "provider"}, {"reason", "reason"}}},
    {"oauth.token.delete",
     "success",
     "oauth.token.revoked",
     "tokenId",
     {{"provider", "provider"}, {"revoked", "revokedAtProvider"}}},
    {"certificate.create",
     "success",
     "certificate.created",
     "certificateId",
     {{"kid", "kid"}, {"algorithm", "algorithm"}, {"custody", "custody"}}},
    {"certificate.rotate",
     "success",
     "certificate.rotated",
     "certificateId",
     {{"kid", "kid"}, {"activatesAt", "activatesAt"}, {"retiring", "retiringKids"}}},
    {"certificate.expiring",
     "",
     "certificate.expiring",
     "certificateId",
     {{"kid", "kid"}, {"expiresAt", "expiresAt"}, {"days", "days"}}},
    {"certificate.revoke", "success", "certificate.revoked", "certificateId", {{"kid", "kid"}}},
    {"secret.create",
     "success",
     "credential.updated",
     "secret",
     {{"name", "name"}, {"type", "secretType"}}},
    {"secret.update",
     "success",
     "credential.updated",
     "secret",
     {{"name", "name"}, {"version", "version"}}},
    {"secret.delete", "success", "credential.deleted", "secret", {{"name", "name"}}},
    {kCredentialHealthAction,
     "failure",
     "credential.unhealthy",
     "credential",
     {{"kind", "kind"}, {"reason", "reason"}}},
    {kCredentialHealthAction, "success", "credential.recovered", "credential", {{"kind", "kind"}}},
    {"api_key.create", "success", "api_key.created", "apiKeyId", {{"name", "name"}}},
    {"api_key.revoke", "success", "api_key.revoked", "apiKeyId", {}},
    {kUsageLimitAction,
     "",
     "usage.limit_reached",
     "subject",
     {{"limit", "maxCallsPerDay"}, {"window", "window"}}},
    {kEndpointDisabledAction, "", "webhook.endpoint.disabled", "webhookId", {{"reason", "reason"}}},
};

std::string_view Detail(const AuditEvent& e, std::string_view key) {
  for (const auto& [k, v] : e.details) {
    if (k == key) return v;
  }
  return {};
}

// {"accountId": ..., <id field>: ..., copied details...} as JSON text.
std::string Payload(const AuditEvent& e, const char* id_field,
                    const std::vector<std::pair<std::string_view, const char*>>& copied) {
  std::vector<std::pair<std::string, std::string>> fields = {{"accountId", e.account_id},
                                                             {id_field, e.resource}};
  for (const auto& [detail, field] : copied) {
    std::string_view value = Detail(e, detail);
    if (!value.empty()) fields.emplace_back(field, std::string(value));
  }
  return JsonFlatObject(fields);
}

// credentials.update records several providers at once: keys set or given
// new hosts are updated, keys removed are deleted.
void ProviderKeyEvents(const AuditEvent& e, std::vector<RaisedEvent>* out) {
  std::string updated(Detail(e, "set"));
  for (std::string_view key : {"allowed_hosts", "base_urls"}) {
    std::string_view more = Detail(e, key);
    if (!more.empty() && updated.find(more) == std::string::npos) {
      updated += (updated.empty() ? "" : ",") + std::string(more);
    }
  }
  std::string removed(Detail(e, "removed"));
  if (!updated.empty()) {
    out->push_back({"credential.updated",
                    JsonFlatObject({{"accountId", e.account_id}, {"providers", updated}})});
  }
  if (!removed.empty()) {
    out->push_back({"credential.deleted",
                    JsonFlatObject({{"accountId", e.account_id}, {"providers", removed}})});
  }
}

}  // namespace

const std::vector<EventType>& EventTypes() {
  static const std::vector<EventType> kTypes = {
      {"oauth.connection.created", "A user completed an OAuth flow; a connection was stored"},
      {"oauth.connection.reconnected",
       "A user authorized a connection again; its tokens were replaced, its id kept"},
      {"oauth.token.refresh_failed", "A background refresh failed and will be retried"},
      {"oauth.token.needs_reauth", "The provider refused the grant; the user must connect again"},
      {"oauth.token.revoked", "An OAuth connection was deleted (and revoked at the provider)"},
      {"certificate.created", "A signing certificate was created"},
      {"certificate.rotated", "A rotation created the next signing certificate"},
      {"certificate.expiring", "A certificate expires in 7 days or in 1 day"},
      {"certificate.revoked", "A certificate was revoked and left the JWKS"},
      {"credential.updated", "A provider key or secret was set, replaced or re-scoped"},
      {"credential.deleted", "A provider key or secret was deleted"},
      {"credential.unhealthy", "A credential's health check started failing"},
      {"credential.recovered", "A failing credential's health check passes again"},
      {"api_key.created", "An API key was created"},
      {"api_key.revoked", "An API key was revoked"},
      {"usage.limit_reached", "A credential or API key reached its daily call limit"},
      {"webhook.endpoint.disabled", "An endpoint failed for 3 days and was disabled"},
  };
  return kTypes;
}

bool IsEventType(std::string_view name) {
  const auto& types = EventTypes();
  return std::any_of(types.begin(), types.end(),
                     [name](const EventType& t) { return name == t.name; });
}

std::vector<RaisedEvent> EventsFor(const AuditEvent& audit) {
  std::vector<RaisedEvent> out;
  if (audit.action == "credentials.update") {
    if (audit.outcome == "success") ProviderKeyEvents(audit, &out);
    return out;
  }
  for (const Mapping& m : kMappings) {
    if (m.action != audit.action) continue;
    if (!m.outcome.empty() && m.outcome != audit.outcome) continue;
    out.push_back({m.type, Payload(audit, m.id_field, m.copied)});
  }
  return out;
}

}  // namespace latchkey
