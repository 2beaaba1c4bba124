// JSON Schemas of the managed-signing routes (routes_tokens.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kSignTokenRequest[] =
    R"({"type":"object","properties":{"claims":{"type":"object"},
                 "expiresIn":{"type":"integer","description":"seconds, default 900"},
                 "audience":{"oneOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]},
                 "subject":{"type":"string"}}})";
inline constexpr char kSignedToken[] =
    R"({"type":"object","properties":{"token":{"type":"string"},"kid":{"type":"string"},"jti":{"type":"string"},"expiresAt":{"type":"string","format":"date-time"}}})";
inline constexpr char kVerifyTokenRequest[] =
    R"({"type":"object","required":["token"],"properties":{"token":{"type":"string"},"audience":{"type":"string"}}})";
inline constexpr char kTokenVerification[] =
    R"({"type":"object","properties":{"valid":{"type":"boolean"},"reason":{"type":"string"},"claims":{"type":"object"},"kid":{"type":"string"},"algorithm":{"type":"string"}}})";

}  // namespace latchkey::schemas
