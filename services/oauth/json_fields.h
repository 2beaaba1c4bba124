// nlohmann::json without exceptions, for the OAuth service's own files.
//
// nlohmann throws from get<>() and at() on a type or key mismatch, and from
// dump() on a string that is not UTF-8 (a form-encoded provider answer can
// carry any bytes). Exceptions must not leave the service, so reads go
// through typed pointers that are null when the value is not there, and
// writes through DumpJson, whose nullopt the caller turns into a Status.
//
//   const std::string* token = JsonStringMember(body, "access_token");
//   if (!token) return UpstreamError("no access_token");
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace latchkey {

// The member `key` of `object`; nullptr when `object` is not an object or
// has no such member. The pointer lives as long as `object` is unchanged.
const nlohmann::json* JsonMember(const nlohmann::json& object, const char* key);

// The member `key` of `object` when it is a string; nullptr otherwise.
const std::string* JsonStringMember(const nlohmann::json& object, const char* key);

// `value` as compact JSON text; nullopt when a string or key in it is not
// UTF-8, which JSON text cannot carry.
std::optional<std::string> DumpJson(const nlohmann::json& value);

}  // namespace latchkey
