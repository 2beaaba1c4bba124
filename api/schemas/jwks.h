// JSON Schemas of the public key discovery routes (routes_jwks.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kPublicKey[] =
    R"({"type":"object","additionalProperties":false,"required":["kid","publicKey","algorithm"],"properties":{"kid":{"type":"string"},"publicKey":{"type":"string","description":"SPKI PEM"},"algorithm":{"enum":["RS256","ES256"]}},"examples":[{"kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE","publicKey":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ...\n-----END PUBLIC KEY-----\n","algorithm":"ES256"}]})";
inline constexpr char kJwks[] = R"({"$ref":"#/components/schemas/Jwks"})";
inline constexpr char kOpenIdConfiguration[] =
    R"({"type":"object","additionalProperties":false,"required":["issuer","jwks_uri","id_token_signing_alg_values_supported","response_types_supported","subject_types_supported"],"properties":{"issuer":{"type":"string"},"jwks_uri":{"type":"string"},"id_token_signing_alg_values_supported":{"type":"array","items":{"type":"string"}},"response_types_supported":{"type":"array","items":{"type":"string"}},"subject_types_supported":{"type":"array","items":{"type":"string"}}},"examples":[{"issuer":"https://latchkey.example.com/accounts/acct_3kq7v2mxd4bn5cfha6jt","jwks_uri":"https://latchkey.example.com/accounts/acct_3kq7v2mxd4bn5cfha6jt/.well-known/jwks.json","id_token_signing_alg_values_supported":["ES256"],"response_types_supported":["id_token"],"subject_types_supported":["public"]}]})";

}  // namespace latchkey::schemas
