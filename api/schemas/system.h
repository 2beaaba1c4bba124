// JSON Schemas of the system routes, and the shared component schemas
// (#/components/schemas/...) that every family's schemas refer to.
#pragma once

namespace latchkey::schemas {

// The "components.schemas" object of the OpenAPI document.
inline constexpr char kComponents[] = R"({
    "Error": {"type":"object","required":["error","code","status"],
      "properties":{"error":{"type":"string"},"code":{"type":"string"},"status":{"type":"integer"}}},
    "Account": {"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},
      "createdAt":{"type":"string","format":"date-time"}}},
    "CreatedAccount": {"allOf":[{"$ref":"#/components/schemas/Account"},
      {"type":"object","properties":{"apiKey":{"type":"string"},"apiKeyId":{"type":"string"}}}]},
    "ApiKey": {"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},
      "scopes":{"type":"array","items":{"type":"string"}},
      "createdAt":{"type":"string","format":"date-time"},
      "expiresAt":{"type":["string","null"],"format":"date-time"},
      "lastUsedAt":{"type":["string","null"],"format":"date-time"},
      "credentials":{"type":["array","null"],"items":{"type":"string"}}}},
    "CreatedApiKey": {"allOf":[{"$ref":"#/components/schemas/ApiKey"},
      {"type":"object","properties":{"apiKey":{"type":"string"}}}]},
    "AuditEvent": {"type":"object","properties":{"id":{"type":"string"},"account":{"type":"string"},
      "seq":{"type":"integer"},"time":{"type":"string","format":"date-time"},
      "actor":{"type":"string"},"action":{"type":"string"},"resource":{"type":"string"},
      "outcome":{"type":"string"},"requestId":{"type":"string"},"clientAddress":{"type":"string"},
      "details":{"type":"object","additionalProperties":{"type":"string"}},
      "prevHash":{"type":"string"},"hash":{"type":"string"}}},
    "Health": {"type":"object","properties":{
      "status":{"enum":["healthy","unhealthy","expiring_soon","unknown"]},
      "checkedAt":{"type":["string","null"],"format":"date-time"},
      "lastError":{"type":["string","null"]},"latencyMs":{"type":["integer","null"]}}},
    "UsageLimit": {"type":"object","properties":{"credential":{"type":"string"},
      "apiKeyId":{"type":"string"},"maxCallsPerDay":{"type":["integer","null"]},
      "usedToday":{"type":"integer"}}},
    "Webhook": {"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"},
      "description":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},
      "format":{"enum":["standard","slack"]},"enabled":{"type":"boolean"},
      "disabledReason":{"type":["string","null"]},
      "failingSince":{"type":["string","null"],"format":"date-time"},
      "previousSecretValidUntil":{"type":["string","null"],"format":"date-time"},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"}}},
    "WebhookDelivery": {"type":"object","properties":{"id":{"type":"string"},
      "webhookId":{"type":"string"},"messageId":{"type":"string"},"type":{"type":"string"},
      "state":{"enum":["pending","delivered","failed"]},"attempts":{"type":"integer"},
      "nextAttemptAt":{"type":["string","null"],"format":"date-time"},
      "createdAt":{"type":"string","format":"date-time"},
      "attemptLog":{"type":"array","items":{"type":"object","properties":{
        "number":{"type":"integer"},"at":{"type":"string","format":"date-time"},
        "statusCode":{"type":["integer","null"]},"error":{"type":["string","null"]},
        "latencyMs":{"type":"integer"}}}}}},
    "Certificate": {"type":"object","properties":{"id":{"type":"string"},
      "account":{"type":"string"},"kid":{"type":"string"},"name":{"type":"string"},
      "publicKey":{"type":"string","description":"SPKI PEM"},
      "algorithm":{"enum":["RS256","ES256"]},"keySize":{"type":"integer"},
      "custody":{"enum":["exported","managed"]},"status":{"enum":["active","revoked","expired"]},
      "expiresAt":{"type":["string","null"],"format":"date-time"},
      "metadata":{"type":"object","additionalProperties":{"type":"string"}},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"},
      "activatesAt":{"type":["string","null"],"format":"date-time"},
      "retiresAt":{"type":["string","null"],"format":"date-time"},
      "revokedAt":{"type":["string","null"],"format":"date-time"}}},
    "CreatedCertificate": {"allOf":[{"$ref":"#/components/schemas/Certificate"},
      {"type":"object","properties":{"privateKey":{"type":"string",
        "description":"PKCS#8 PEM; exported custody only, shown once"}}}]},
    "RotationPolicy": {"type":"object","properties":{"rotationPeriod":{"type":"integer"},
      "overlap":{"type":"integer"},"algorithm":{"enum":["RS256","ES256"]},
      "keySize":{"type":"integer"},"nextRotationAt":{"type":"string","format":"date-time"},
      "createdAt":{"type":"string","format":"date-time"},
      "updatedAt":{"type":"string","format":"date-time"}}},
    "Jwks": {"type":"object","required":["keys"],"properties":{"keys":{"type":"array",
      "items":{"type":"object","properties":{"kty":{"type":"string"},"use":{"type":"string"},
        "alg":{"type":"string"},"kid":{"type":"string"},"n":{"type":"string"},
        "e":{"type":"string"},"crv":{"type":"string"},"x":{"type":"string"},
        "y":{"type":"string"}}}}}}
  })";

inline constexpr char kHealth[] = R"({"type":"object","properties":{"status":{"type":"string"}}})";
inline constexpr char kReadiness[] =
    R"({"type":"object","properties":{"status":{"type":"string"},"database":{"type":"string"}}})";
inline constexpr char kOpenApiDocument[] = R"({"type":"object"})";

}  // namespace latchkey::schemas
