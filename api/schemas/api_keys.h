// JSON Schemas of the API key routes (routes_api_keys.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kCreateApiKeyRequest[] =
    R"({"type":"object","required":["name","scopes"],"properties":{"name":{"type":"string"},"scopes":{"type":"array","items":{"type":"string"}},"expiresAt":{"type":"string","format":"date-time"},"credentials":{"type":"array","items":{"type":"string"},"description":"if given, the only credentials this key may use through the proxy; each must exist unless allowMissing"},"allowMissing":{"type":"boolean","description":"accept credentials that do not exist yet, to pre-provision"}}})";
inline constexpr char kCreatedApiKey[] = R"({"$ref":"#/components/schemas/CreatedApiKey"})";
inline constexpr char kApiKeyList[] =
    R"({"type":"object","properties":{"apiKeys":{"type":"array","items":{"$ref":"#/components/schemas/ApiKey"}}}})";
inline constexpr char kCurrentApiKey[] =
    R"({"allOf":[{"$ref":"#/components/schemas/ApiKey"},{"type":"object","properties":{"accountId":{"type":"string"}}}]})";
inline constexpr char kRevokedApiKey[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"revoked":{"type":"boolean"}}})";

}  // namespace latchkey::schemas
