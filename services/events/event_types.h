// The webhook event types, and which audited changes raise them.
//
// An event is raised by the change it reports: the outbox (outbox.h) sees
// each audit event as it is appended, inside the change's transaction, and
// EventsFor() says which webhook events (none, one or two) it stands for.
// Payload data holds the account id, resource ids and non-secret context,
// never a secret value or token (audit events carry none).
//
// Thread-safety: pure functions over constant tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/audit_log.h"

namespace latchkey {

struct EventType {
  const char* name;         // "certificate.rotated"
  const char* description;  // one line, for GET /webhooks/event-types
};

// Every type an endpoint may subscribe to, in documentation order.
const std::vector<EventType>& EventTypes();
bool IsEventType(std::string_view name);

// A webhook event before it is stored: its type and its `data` object as
// JSON text.
struct RaisedEvent {
  std::string type;
  std::string data_json;
};

// The webhook events `audit` stands for; empty for most audit events.
std::vector<RaisedEvent> EventsFor(const AuditEvent& audit);

// Audit actions raised by services/events itself (for the mapping above).
inline constexpr char kEndpointDisabledAction[] = "webhook.endpoint.disable";
inline constexpr char kCredentialHealthAction[] = "credential.health";
inline constexpr char kUsageLimitAction[] = "usage.limit_reached";
// The actor of the proxy calls health checks make.
inline constexpr char kHealthActor[] = "health";

}  // namespace latchkey
