// JSON Schemas of the usage routes (routes_usage.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// UsageLimit, in #/components/schemas.
inline constexpr char kUsageComponents[] = R"({
    "UsageRow": {"type":"object","additionalProperties":false,
      "required":["kind","subject","granularity","bucket","calls","denied","errors4xx","errors5xx",
        "failures","bytesIn","bytesOut","latencyP50Ms","latencyP95Ms"],
      "properties":{"kind":{"enum":["credential","api_key","mcp_tool","oauth_token"]},
        "subject":{"type":"string"},"granularity":{"enum":["hour","day"]},
        "bucket":{"type":"string","format":"date-time"},"calls":{"type":"integer"},
        "denied":{"type":"integer"},"errors4xx":{"type":"integer"},"errors5xx":{"type":"integer"},
        "failures":{"type":"integer"},"bytesIn":{"type":"integer"},"bytesOut":{"type":"integer"},
        "latencyP50Ms":{"type":"integer"},"latencyP95Ms":{"type":"integer"}},
      "examples":[{"kind":"credential","subject":"openai","granularity":"hour",
        "bucket":"2026-01-02T03:00:00Z","calls":120,"denied":2,"errors4xx":3,"errors5xx":0,
        "failures":0,"bytesIn":48000,"bytesOut":512000,"latencyP50Ms":310,"latencyP95Ms":920}]},
    "UsageLimit": {"type":"object","additionalProperties":false,
      "required":["maxCallsPerDay","usedToday"],
      "oneOf":[{"required":["credential"]},{"required":["apiKeyId"]}],
      "properties":{"credential":{"type":"string"},"apiKeyId":{"type":"string"},
        "maxCallsPerDay":{"type":"integer"},"usedToday":{"type":"integer"}},
      "examples":[{"credential":"openai","maxCallsPerDay":1000,"usedToday":17}]}
  })";

inline constexpr char kUsageList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/UsageRow"})");
inline constexpr char kUsageLimitList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/UsageLimit"})");
inline constexpr char kPutUsageLimitRequest[] =
    R"({"type":"object","additionalProperties":false,"required":["maxCallsPerDay"],"oneOf":[{"required":["credential"]},{"required":["apiKeyId"]}],"properties":{"credential":{"type":"string"},"apiKeyId":{"type":"string"},"maxCallsPerDay":{"type":["integer","null"],"minimum":1,"description":"null removes the limit"}},"examples":[{"credential":"openai","maxCallsPerDay":1000}]})";
// The answer of PUT /usage/limits: the limit as set (null: removed).
inline constexpr char kUsageLimit[] =
    R"({"type":"object","additionalProperties":false,"required":["maxCallsPerDay"],"oneOf":[{"required":["credential"]},{"required":["apiKeyId"]}],"properties":{"credential":{"type":"string"},"apiKeyId":{"type":"string"},"maxCallsPerDay":{"type":["integer","null"]}},"examples":[{"credential":"openai","maxCallsPerDay":1000}]})";

}  // namespace latchkey::schemas
