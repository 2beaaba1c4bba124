// JSON Schemas of the system routes, and the shared component schemas
// (#/components/schemas/...) that every family's schemas refer to.
#pragma once

namespace latchkey::schemas {

// The components every family shares (Error, Health, Jwks); each family's
// header holds its own (kAdminComponents, ...). The builder (api/openapi.cc)
// merges them into "components.schemas".
inline constexpr char kComponents[] = R"({
    "Error": {"type":"object","required":["error","code","status"],"additionalProperties":false,
      "properties":{"error":{"type":"string","description":"for people; the wording may change"},
        "code":{"type":"string",
          "description":"for programs: BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, NEEDS_REAUTH, PRECONDITION_FAILED, PAYLOAD_TOO_LARGE, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_KEY_IN_USE, RATE_LIMITED, INTERNAL, UNAVAILABLE, UPSTREAM_ERROR, UPSTREAM_TIMEOUT, ..."},
        "status":{"type":"integer","description":"the HTTP status, repeated"},
        "currentEtag":{"type":"string","description":"412 PRECONDITION_FAILED only: the resource's ETag now"}},
      "examples":[{"error":"certificate not found","code":"NOT_FOUND","status":404}]},
    "Health": {"type":"object","required":["status","checkedAt","lastError","latencyMs"],
      "additionalProperties":false,
      "properties":{"status":{"enum":["healthy","unhealthy","expiring_soon","unknown"]},
        "checkedAt":{"type":["string","null"],"format":"date-time"},
        "lastError":{"type":["string","null"]},"latencyMs":{"type":["integer","null"]}},
      "examples":[{"status":"healthy","checkedAt":"2026-01-02T03:04:05Z","lastError":null,
        "latencyMs":120}]},
    "Jwks": {"type":"object","required":["keys"],"additionalProperties":false,
      "properties":{"keys":{"type":"array","items":{"oneOf":[
        {"type":"object","additionalProperties":false,"required":["kty","use","alg","kid","n","e"],
          "properties":{"kty":{"const":"RSA"},"use":{"const":"sig"},"alg":{"const":"RS256"},
            "kid":{"type":"string"},"n":{"type":"string"},"e":{"type":"string"}}},
        {"type":"object","additionalProperties":false,
          "required":["kty","use","alg","kid","crv","x","y"],
          "properties":{"kty":{"const":"EC"},"use":{"const":"sig"},"alg":{"const":"ES256"},
            "kid":{"type":"string"},"crv":{"const":"P-256"},"x":{"type":"string"},
            "y":{"type":"string"}}}]}}},
      "examples":[{"keys":[{"kty":"EC","use":"sig","alg":"ES256","kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE",
        "crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}]}
  })";

inline constexpr char kHealth[] =
    R"({"type":"object","required":["status"],"additionalProperties":false,"properties":{"status":{"const":"ok"},"mode":{"const":"DEV MODE","description":"latchkeyd dev only"}},"examples":[{"status":"ok"}]})";
inline constexpr char kReadiness[] =
    R"({"type":"object","required":["status","database"],"additionalProperties":false,"properties":{"status":{"const":"ready"},"database":{"const":"ok"}},"examples":[{"status":"ready","database":"ok"}]})";
inline constexpr char kOpenApiDocument[] =
    R"({"type":"object","required":["openapi","info","servers","paths","components"],"additionalProperties":false,"properties":{"openapi":{"const":"3.1.0"},"info":{"type":"object","required":["title","version"],"properties":{"title":{"type":"string"},"version":{"type":"string"},"description":{"type":"string"}}},"servers":{"type":"array","items":{"type":"object","required":["url"],"properties":{"url":{"type":"string"}}}},"paths":{"type":"object","additionalProperties":{"type":"object"}},"components":{"type":"object"}},"examples":[{"openapi":"3.1.0","info":{"title":"Latchkey","version":"1.0.0"},"servers":[{"url":"https://latchkey.example.com"}],"paths":{},"components":{}}]})";

}  // namespace latchkey::schemas
