// JSON Schemas of the audit routes (routes_audit.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kAuditEventPage[] =
    R"({"type":"object","properties":{"events":{"type":"array","items":{"$ref":"#/components/schemas/AuditEvent"}},"nextCursor":{"type":["string","null"]}}})";
inline constexpr char kAuditVerification[] =
    R"({"type":"object","properties":{"ok":{"type":"boolean"},"count":{"type":"integer"},"reason":{"type":"string"},"brokenEvent":{"$ref":"#/components/schemas/AuditEvent"}}})";

}  // namespace latchkey::schemas
