// JSON Schemas of the operator routes (routes_admin.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kCreateAccountRequest[] =
    R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"}}})";
inline constexpr char kCreatedAccount[] = R"({"$ref":"#/components/schemas/CreatedAccount"})";
inline constexpr char kAccountList[] =
    R"({"type":"object","properties":{"accounts":{"type":"array","items":{"$ref":"#/components/schemas/Account"}}}})";
inline constexpr char kDeletedAccount[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})";
inline constexpr char kKeyPoolStats[] =
    R"({"type":"object","properties":{"ready":{"type":"integer"},"target":{"type":"integer"},"hits":{"type":"integer"},"misses":{"type":"integer"}}})";

}  // namespace latchkey::schemas
