// JSON Schemas of the API key routes (routes_api_keys.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// ApiKey and CreatedApiKey, in #/components/schemas (Scope, the enum of
// scopes::All(), is added by the builder).
inline constexpr char kApiKeyComponents[] = R"({
    "ApiKey": {"type":"object","additionalProperties":false,
      "required":["id","name","scopes","createdAt","expiresAt","lastUsedAt","credentials"],
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "scopes":{"type":"array","items":{"$ref":"#/components/schemas/Scope"}},
        "createdAt":{"type":"string","format":"date-time"},
        "expiresAt":{"type":["string","null"],"format":"date-time"},
        "lastUsedAt":{"type":["string","null"],"format":"date-time"},
        "credentials":{"type":["array","null"],"items":{"type":"string"},
          "description":"the only credentials the key may use through the proxy; null: any"}},
      "examples":[{"id":"key_7c2mxq4vd3bn5kfha6jt","name":"ci","scopes":["proxy","tokens:sign"],
        "createdAt":"2026-01-02T03:04:05Z","expiresAt":null,"lastUsedAt":null,
        "credentials":["openai"]}]},
    "CreatedApiKey": {"type":"object","additionalProperties":false,
      "required":["id","name","scopes","createdAt","expiresAt","lastUsedAt","credentials"],
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "scopes":{"type":"array","items":{"$ref":"#/components/schemas/Scope"}},
        "createdAt":{"type":"string","format":"date-time"},
        "expiresAt":{"type":["string","null"],"format":"date-time"},
        "lastUsedAt":{"type":["string","null"],"format":"date-time"},
        "credentials":{"type":["array","null"],"items":{"type":"string"}},
        "apiKey":{"type":"string","description":"the key itself; shown once: absent from a replay"},
        "replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},
      "examples":[{"id":"key_7c2mxq4vd3bn5kfha6jt","name":"ci","scopes":["proxy"],
        "createdAt":"2026-01-02T03:04:05Z","expiresAt":null,"lastUsedAt":null,"credentials":null,
        "apiKey":"lk_key_7c2mxq4vd3bn5kfha6jt.Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6"}]}
  })";

inline constexpr char kCreateApiKeyRequest[] =
    R"({"type":"object","required":["name","scopes"],"additionalProperties":false,"properties":{"name":{"type":"string"},"scopes":{"type":"array","items":{"$ref":"#/components/schemas/Scope"}},"expiresAt":{"type":"string","format":"date-time"},"credentials":{"type":["array","null"],"items":{"type":"string"},"description":"if given, the only credentials this key may use through the proxy; each must exist unless allowMissing"},"allowMissing":{"type":"boolean","description":"accept credentials that do not exist yet, to pre-provision"}},"examples":[{"name":"ci","scopes":["proxy","tokens:sign"],"expiresAt":"2027-01-01T00:00:00Z","credentials":["openai"]}]})";
inline constexpr char kCreatedApiKey[] = R"({"$ref":"#/components/schemas/CreatedApiKey"})";
inline constexpr char kApiKeyList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/ApiKey"})");
inline constexpr char kCurrentApiKey[] =
    R"({"type":"object","additionalProperties":false,"required":["id","name","scopes","createdAt","expiresAt","lastUsedAt","credentials","accountId"],"properties":{"id":{"type":"string"},"name":{"type":"string"},"scopes":{"type":"array","items":{"$ref":"#/components/schemas/Scope"}},"createdAt":{"type":"string","format":"date-time"},"expiresAt":{"type":["string","null"],"format":"date-time"},"lastUsedAt":{"type":["string","null"],"format":"date-time"},"credentials":{"type":["array","null"],"items":{"type":"string"}},"accountId":{"type":"string"}},"examples":[{"id":"key_7c2mxq4vd3bn5kfha6jt","name":"ci","scopes":["proxy"],"createdAt":"2026-01-02T03:04:05Z","expiresAt":null,"lastUsedAt":"2026-01-03T00:00:00Z","credentials":null,"accountId":"acct_3kq7v2mxd4bn5cfha6jt"}]})";
inline constexpr char kRevokedApiKey[] =
    R"({"type":"object","required":["id","revoked"],"additionalProperties":false,"properties":{"id":{"type":"string"},"revoked":{"const":true}},"examples":[{"id":"key_7c2mxq4vd3bn5kfha6jt","revoked":true}]})";

}  // namespace latchkey::schemas
