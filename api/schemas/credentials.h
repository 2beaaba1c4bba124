// JSON Schemas of the provider key and secret routes (routes_credentials.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kPutProviderKeysRequest[] =
    R"({"type":"object","properties":{"openaiApiKey":{"type":["string","null"]},"anthropicApiKey":{"type":["string","null"]},"allowedHosts":{"type":"object"},"baseUrls":{"type":"object","additionalProperties":{"type":["string","null"]}}},"additionalProperties":{"type":["string","null"]}})";
inline constexpr char kCredentialsSummary[] =
    R"({"type":"object","description":"hasXApiKey / xApiKeyLast4 for every provider, allowedHosts, baseUrls, usage, updatedAt"})";
// The body of POST /secrets and PUT /secrets/{name}.
inline constexpr char kSecretWriteRequest[] =
    R"({"type":"object","properties":{"name":{"type":"string"},"type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},"allowedHosts":{"type":"array","items":{"type":"string"}},"value":{"type":"string"},"username":{"type":"string"},"password":{"type":"string"},"cookies":{"type":"string"},"headers":{"type":"object","additionalProperties":{"type":"string"}},"param":{"type":"string"},"baseUrl":{"type":["string","null"]},"healthCheck":{"type":["object","null"],"description":"GET url through the proxy with the secret injected; healthy on expectStatus (default any 2xx); null removes it","properties":{"url":{"type":"string"},"expectStatus":{"type":"integer"}},"required":["url"]}}})";
inline constexpr char kSecret[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"type":{"type":"string"},"allowedHosts":{"type":"array","items":{"type":"string"}},"baseUrl":{"type":["string","null"]},"masked":{"type":"array","items":{"type":"object","properties":{"part":{"type":"string"},"last4":{"type":["string","null"]}}}},"param":{"type":"string"},"version":{"type":"integer"},"createdAt":{"type":"string"},"updatedAt":{"type":"string"},"lastUsedAt":{"type":["string","null"]},"useCount":{"type":"integer"},"health":{"$ref":"#/components/schemas/Health"},"healthCheck":{"type":["object","null"],"properties":{"url":{"type":"string"},"expectStatus":{"type":["integer","null"]}}}}})";
inline constexpr char kSecretList[] =
    R"({"type":"object","properties":{"secrets":{"type":"array"}}})";
inline constexpr char kDeletedSecret[] =
    R"({"type":"object","properties":{"name":{"type":"string"},"deleted":{"type":"boolean"}}})";

}  // namespace latchkey::schemas
