// JSON Schemas of the operator routes (routes_admin.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// Account and CreatedAccount, in #/components/schemas.
inline constexpr char kAdminComponents[] = R"({
    "Account": {"type":"object","required":["id","name","createdAt"],"additionalProperties":false,
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "createdAt":{"type":"string","format":"date-time"}},
      "examples":[{"id":"acct_3kq7v2mxd4bn5cfha6jt","name":"acme",
        "createdAt":"2026-01-02T03:04:05Z"}]},
    "CreatedAccount": {"type":"object","required":["id","name","createdAt","apiKeyId"],
      "additionalProperties":false,
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "createdAt":{"type":"string","format":"date-time"},
        "apiKey":{"type":"string","description":"the first API key (every scope); shown once: absent from a replay"},
        "apiKeyId":{"type":"string"},
        "replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},
      "examples":[{"id":"acct_3kq7v2mxd4bn5cfha6jt","name":"acme",
        "createdAt":"2026-01-02T03:04:05Z",
        "apiKey":"lk_key_7c2mxq4vd3bn5kfha6jt.Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6","apiKeyId":"key_7c2mxq4vd3bn5kfha6jt"}]}
  })";

inline constexpr char kCreateAccountRequest[] =
    R"({"type":"object","required":["name"],"additionalProperties":false,"properties":{"name":{"type":"string"}},"examples":[{"name":"acme"}]})";
inline constexpr char kCreatedAccount[] = R"({"$ref":"#/components/schemas/CreatedAccount"})";
inline constexpr char kAccountList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/Account"})");
inline constexpr char kDeletedAccount[] =
    R"({"type":"object","required":["id","deleted"],"additionalProperties":false,"properties":{"id":{"type":"string"},"deleted":{"const":true}},"examples":[{"id":"acct_3kq7v2mxd4bn5cfha6jt","deleted":true}]})";
inline constexpr char kKeyPoolStats[] =
    R"({"type":"object","required":["ready","target","hits","misses"],"additionalProperties":false,"properties":{"ready":{"type":"integer"},"target":{"type":"integer"},"hits":{"type":"integer"},"misses":{"type":"integer"}},"examples":[{"ready":8,"target":8,"hits":3,"misses":0}]})";

}  // namespace latchkey::schemas
