// JSON Schemas of the public key discovery routes (routes_jwks.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kPublicKey[] =
    R"({"type":"object","properties":{"kid":{"type":"string"},"publicKey":{"type":"string"},"algorithm":{"type":"string"}}})";
inline constexpr char kJwks[] = R"({"$ref":"#/components/schemas/Jwks"})";
inline constexpr char kOpenIdConfiguration[] =
    R"({"type":"object","properties":{"issuer":{"type":"string"},"jwks_uri":{"type":"string"},"id_token_signing_alg_values_supported":{"type":"array","items":{"type":"string"}}}})";

}  // namespace latchkey::schemas
