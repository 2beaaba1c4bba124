// JSON Schemas of the audit routes (routes_audit.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// AuditEvent, in #/components/schemas.
inline constexpr char kAuditComponents[] = R"({
    "AuditEvent": {"type":"object","additionalProperties":false,
      "required":["id","account","seq","time","actor","action","resource","outcome","requestId",
        "clientAddress","details","prevHash","hash"],
      "properties":{"id":{"type":"string"},
        "account":{"type":"string","description":"the chain: an account id, or the system chain"},
        "seq":{"type":"integer"},"time":{"type":"string","format":"date-time"},
        "actor":{"type":"string","description":"an API key id, admin, browser or system"},
        "action":{"type":"string"},"resource":{"type":"string"},"outcome":{"type":"string"},
        "requestId":{"type":"string"},"clientAddress":{"type":"string"},
        "details":{"type":"object","additionalProperties":{"type":"string"}},
        "prevHash":{"type":"string"},"hash":{"type":"string"}},
      "examples":[{"id":"evt_0kq7v2mxd4bn5cfha6jt","account":"acct_3kq7v2mxd4bn5cfha6jt","seq":2,
        "time":"2026-01-02T03:04:05Z","actor":"key_7c2mxq4vd3bn5kfha6jt",
        "action":"certificate.create","resource":"cert_5vq2kxm7d4bn3cfha6jt","outcome":"success",
        "requestId":"req_2m7kqv3xd4bn5cfha6jt","clientAddress":"203.0.113.7",
        "details":{"name":"signing"},
        "prevHash":"5f1b3c0e9a7d2b4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f",
        "hash":"9a7d2b4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f5f1b3c0e"}]}
  })";

inline constexpr char kAuditEventPage[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/AuditEvent"})");
inline constexpr char kAuditVerification[] =
    R"({"type":"object","required":["ok","count"],"additionalProperties":false,"properties":{"ok":{"type":"boolean"},"count":{"type":"integer","description":"events checked"},"reason":{"type":"string","description":"when not ok: what is wrong"},"brokenEvent":{"$ref":"#/components/schemas/AuditEvent","description":"when not ok: the first event that does not verify"}},"examples":[{"ok":true,"count":42}]})";

}  // namespace latchkey::schemas
