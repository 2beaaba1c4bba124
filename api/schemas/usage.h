// JSON Schemas of the usage routes (routes_usage.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kUsageList[] =
    R"({"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"kind":{"enum":["credential","api_key","mcp_tool","oauth_token"]},"subject":{"type":"string"},"granularity":{"enum":["hour","day"]},"bucket":{"type":"string","format":"date-time"},"calls":{"type":"integer"},"denied":{"type":"integer"},"errors4xx":{"type":"integer"},"errors5xx":{"type":"integer"},"failures":{"type":"integer"},"bytesIn":{"type":"integer"},"bytesOut":{"type":"integer"},"latencyP50Ms":{"type":"integer"},"latencyP95Ms":{"type":"integer"}}}}}})";
inline constexpr char kUsageLimitList[] =
    R"({"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/UsageLimit"}}}})";
inline constexpr char kPutUsageLimitRequest[] =
    R"({"type":"object","properties":{"credential":{"type":"string"},"apiKeyId":{"type":"string"},"maxCallsPerDay":{"type":["integer","null"],"minimum":1,"description":"required; null removes the limit"}}})";
inline constexpr char kUsageLimit[] = R"({"$ref":"#/components/schemas/UsageLimit"})";

}  // namespace latchkey::schemas
