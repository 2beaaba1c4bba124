// JSON Schemas of the certificate routes (routes_certificates.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kCreateCertificateRequest[] =
    R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096]},
                 "expiresAt":{"type":"string","format":"date-time"},
                 "metadata":{"type":"object","additionalProperties":{"type":"string"}},
                 "custody":{"enum":["exported","managed"]}}})";
inline constexpr char kCreatedCertificate[] =
    R"({"$ref":"#/components/schemas/CreatedCertificate"})";
inline constexpr char kCertificate[] = R"({"$ref":"#/components/schemas/Certificate"})";
inline constexpr char kCertificateList[] =
    R"({"type":"object","properties":{"certificates":{"type":"array","items":{"$ref":"#/components/schemas/Certificate"}}}})";
inline constexpr char kDeletedCertificate[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})";
inline constexpr char kPutRotationPolicyRequest[] =
    R"({"type":"object","required":["rotationPeriod","overlap"],"properties":{
                 "rotationPeriod":{"type":"integer","description":"seconds"},
                 "overlap":{"type":"integer","description":"seconds; at least the longest token lifetime"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096]}}})";
inline constexpr char kRotationPolicy[] = R"({"$ref":"#/components/schemas/RotationPolicy"})";

}  // namespace latchkey::schemas
