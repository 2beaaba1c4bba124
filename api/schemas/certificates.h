// JSON Schemas of the certificate routes (routes_certificates.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// Certificate, CreatedCertificate and RotationPolicy, in #/components/schemas.
inline constexpr char kCertificateComponents[] = R"({
    "Certificate": {"type":"object","additionalProperties":false,
      "required":["id","account","kid","name","publicKey","algorithm","keySize","custody",
        "status","expiresAt","metadata","createdAt","updatedAt","activatesAt","retiresAt",
        "revokedAt","health"],
      "properties":{"id":{"type":"string"},
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
        "revokedAt":{"type":["string","null"],"format":"date-time"},
        "health":{"$ref":"#/components/schemas/Health"}},
      "examples":[{"id":"cert_5vq2kxm7d4bn3cfha6jt",
        "account":"acct_3kq7v2mxd4bn5cfha6jt","kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE","name":"signing",
        "publicKey":"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh...\n-----END PUBLIC KEY-----\n",
        "algorithm":"RS256","keySize":2048,"custody":"exported","status":"active",
        "expiresAt":null,"metadata":{"team":"payments"},"createdAt":"2026-01-02T03:04:05Z",
        "updatedAt":"2026-01-02T03:04:05Z","activatesAt":null,"retiresAt":null,"revokedAt":null,
        "health":{"status":"healthy","checkedAt":null,"lastError":null,"latencyMs":null}}]},
    "CreatedCertificate": {"type":"object","additionalProperties":false,
      "required":["id","account","kid","name","publicKey","algorithm","keySize","custody",
        "status","expiresAt","metadata","createdAt","updatedAt","activatesAt","retiresAt",
        "revokedAt","health"],
      "properties":{"id":{"type":"string"},
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
        "revokedAt":{"type":["string","null"],"format":"date-time"},
        "health":{"$ref":"#/components/schemas/Health"},
        "privateKey":{"type":"string",
          "description":"PKCS#8 PEM; exported custody only; shown once: absent from a replay"},
        "replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},
      "examples":[{"id":"cert_5vq2kxm7d4bn3cfha6jt",
        "account":"acct_3kq7v2mxd4bn5cfha6jt","kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE","name":"signing",
        "publicKey":"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh...\n-----END PUBLIC KEY-----\n",
        "algorithm":"RS256","keySize":2048,"custody":"exported","status":"active",
        "expiresAt":null,"metadata":{"team":"payments"},"createdAt":"2026-01-02T03:04:05Z",
        "updatedAt":"2026-01-02T03:04:05Z","activatesAt":null,"retiresAt":null,"revokedAt":null,
        "health":{"status":"healthy","checkedAt":null,"lastError":null,"latencyMs":null},
        "privateKey":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqh...\n-----END PRIVATE KEY-----\n"}]},
    "RotationPolicy": {"type":"object","additionalProperties":false,
      "required":["rotationPeriod","overlap","algorithm","keySize","nextRotationAt","createdAt",
        "updatedAt"],
      "properties":{"rotationPeriod":{"type":"integer","description":"seconds"},
        "overlap":{"type":"integer","description":"seconds"},"algorithm":{"enum":["RS256","ES256"]},
        "keySize":{"type":"integer"},"nextRotationAt":{"type":"string","format":"date-time"},
        "createdAt":{"type":"string","format":"date-time"},
        "updatedAt":{"type":"string","format":"date-time"}},
      "examples":[{"rotationPeriod":2592000,"overlap":86400,"algorithm":"ES256","keySize":256,
        "nextRotationAt":"2026-02-01T03:04:05Z","createdAt":"2026-01-02T03:04:05Z",
        "updatedAt":"2026-01-02T03:04:05Z"}]}
  })";

inline constexpr char kCreateCertificateRequest[] =
    R"({"type":"object","required":["name"],"additionalProperties":false,"properties":{"name":{"type":"string"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096,null],"description":"RS256 only"},
                 "expiresAt":{"type":"string","format":"date-time"},
                 "metadata":{"type":"object","additionalProperties":{"type":"string"}},
                 "custody":{"enum":["exported","managed"]}},
                 "examples":[{"name":"signing","algorithm":"RS256","keySize":2048,"metadata":{"team":"payments"},"custody":"exported"}]})";
inline constexpr char kCreatedCertificate[] =
    R"({"$ref":"#/components/schemas/CreatedCertificate"})";
inline constexpr char kCertificate[] = R"({"$ref":"#/components/schemas/Certificate"})";
inline constexpr char kCertificateList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/Certificate"})");
inline constexpr char kDeletedCertificate[] =
    R"({"type":"object","required":["id","deleted"],"additionalProperties":false,"properties":{"id":{"type":"string"},"deleted":{"const":true}},"examples":[{"id":"cert_5vq2kxm7d4bn3cfha6jt","deleted":true}]})";
inline constexpr char kPutRotationPolicyRequest[] =
    R"({"type":"object","required":["rotationPeriod","overlap"],"additionalProperties":false,"properties":{
                 "rotationPeriod":{"type":"integer","minimum":1,"description":"seconds"},
                 "overlap":{"type":"integer","minimum":1,"description":"seconds; at least the longest token lifetime"},
                 "algorithm":{"enum":["RS256","ES256"]},"keySize":{"enum":[2048,3072,4096,null],"description":"RS256 only"}},
                 "examples":[{"rotationPeriod":2592000,"overlap":86400,"algorithm":"ES256"}]})";
inline constexpr char kRotationPolicy[] = R"({"$ref":"#/components/schemas/RotationPolicy"})";

}  // namespace latchkey::schemas
