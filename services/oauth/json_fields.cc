#include "services/oauth/json_fields.h"

#include "common/json_text.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

// Recursion is bounded: parsed documents were checked with
// JsonNestingWithin, and the ones we build are a level or two deep.
bool AllUtf8(const Json& value) {
  if (const auto* s = value.get_ptr<const std::string*>()) return IsValidUtf8(*s);
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (!IsValidUtf8(key) || !AllUtf8(item)) return false;
    }
  } else if (value.is_array()) {
    for (const Json& item : value) {
      if (!AllUtf8(item)) return false;
    }
  }
  return true;
}

}  // namespace

const Json* JsonMember(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* JsonStringMember(const Json& object, const char* key) {
  const Json* member = JsonMember(object, key);
  return member ? member->get_ptr<const std::string*>() : nullptr;
}

std::optional<std::string> DumpJson(const Json& value) {
  if (!AllUtf8(value)) return std::nullopt;
  // Checked above; `replace` only makes sure dump() itself cannot throw
  // should its idea of UTF-8 ever differ from IsValidUtf8's.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace latchkey
