// JSON Schemas of the on-demand health check routes (routes_health.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kCredentialHealth[] = R"({"$ref":"#/components/schemas/Health"})";
inline constexpr char kSecretHealthCheckRequest[] =
    R"({"$ref":"#/components/schemas/SecretHealthCheckRequest"})";
inline constexpr char kSecretHealthCheck[] =
    R"({"type":"object","required":["name","url","expectStatus"],"additionalProperties":false,"properties":{"name":{"type":"string"},"url":{"type":"string"},"expectStatus":{"type":["integer","null"],"description":"null: any 2xx"}},"examples":[{"name":"github","url":"https://api.github.com/user","expectStatus":200}]})";

}  // namespace latchkey::schemas
