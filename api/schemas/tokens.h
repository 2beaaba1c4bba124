// JSON Schemas of the managed-signing routes (routes_tokens.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kSignTokenRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"claims":{"type":["object","null"]},
                 "expiresIn":{"type":["integer","null"],"minimum":1,"description":"seconds, default 900"},
                 "audience":{"oneOf":[{"type":"string"},{"type":"array","items":{"type":"string"}},{"type":"null"}]},
                 "subject":{"type":["string","null"]}},
                 "examples":[{"subject":"agent-7","audience":"https://api.example.com","expiresIn":300,"claims":{"role":"reader"}}]})";
inline constexpr char kSignedToken[] =
    R"({"type":"object","additionalProperties":false,"required":["token","kid","jti","expiresAt"],"properties":{"token":{"type":"string"},"kid":{"type":"string"},"jti":{"type":"string"},"expiresAt":{"type":"string","format":"date-time"}},"examples":[{"token":"eyJhbGciOiJFUzI1NiIsImtpZCI6Ims...","kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE","jti":"RSh2BuwCAKL8Ti-yuhb_fg","expiresAt":"2026-01-02T03:09:05Z"}]})";
inline constexpr char kVerifyTokenRequest[] =
    R"({"type":"object","required":["token"],"additionalProperties":false,"properties":{"token":{"type":"string"},"audience":{"type":["string","null"]}},"examples":[{"token":"eyJhbGciOiJFUzI1NiIsImtpZCI6Ims...","audience":"https://api.example.com"}]})";
inline constexpr char kTokenVerification[] =
    R"({"oneOf":[{"type":"object","additionalProperties":false,"required":["valid","claims","kid","algorithm"],"properties":{"valid":{"const":true},"claims":{"type":"object"},"kid":{"type":"string"},"algorithm":{"type":"string"}}},{"type":"object","additionalProperties":false,"required":["valid","reason"],"properties":{"valid":{"const":false},"reason":{"type":"string"}}}],"examples":[{"valid":true,"claims":{"sub":"agent-7","exp":1767323345},"kid":"PO1gm4uTC3xaQON--zDqiyZ_8G32thLOiVx7iFA-eWE","algorithm":"ES256"}]})";

}  // namespace latchkey::schemas
