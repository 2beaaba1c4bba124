#include "api/json_body.h"

#include <set>

#include "common/json_text.h"
#include "common/strings.h"

namespace latchkey {

Result<nlohmann::json> JsonBody::ParseObject(const std::string& text) {
  using json = nlohmann::json;
  if (text.empty()) return InvalidArgument("request body must be a JSON object");
  if (!JsonNestingWithin(text)) return InvalidArgument(JsonTooDeepMessage("request body"));
  if (HasNulByte(text))
    return InvalidArgument("request body is not valid JSON (it holds a NUL byte)");
  // The names seen in each open object, innermost last (depth is bounded).
  std::vector<std::set<std::string>> names;
  std::optional<std::string> repeated;
  auto check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      names.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!names.empty()) names.pop_back();
    } else if (event == json::parse_event_t::key && !names.empty() && !repeated &&
               !names.back().insert(parsed.get<std::string>()).second) {
      repeated = parsed.get<std::string>().substr(0, 64);
    }
    return true;
  };
  json parsed = json::parse(text, check, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (repeated) return InvalidArgument("field '" + *repeated + "' appears more than once");
  if (!parsed.is_object()) return InvalidArgument("request body must be a JSON object");
  return parsed;
}

Result<JsonBody> JsonBody::Parse(const std::string& text, const std::vector<std::string>& allowed) {
  ASSIGN_OR_RETURN(nlohmann::json json, ParseObject(text));
  for (const auto& item : json.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      return InvalidArgument(UnknownName("field", item.key(), allowed));
    }
  }
  return JsonBody(std::move(json));
}

bool JsonBody::Has(const std::string& field) const { return json_.contains(field); }

Result<std::string> JsonBody::RequiredString(const std::string& field) const {
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return InvalidArgument(field + " is required");
  if (!it->is_string()) return InvalidArgument(field + " must be a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> JsonBody::OptionalString(const std::string& field) const {
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return InvalidArgument(field + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::vector<std::string>> JsonBody::RequiredStringArray(const std::string& field) const {
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return InvalidArgument(field + " is required");
  if (!it->is_array()) return InvalidArgument(field + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return InvalidArgument(field + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::optional<int64_t>> JsonBody::OptionalInt(const std::string& field, int64_t min,
                                                     int64_t max, std::string_view unit) const {
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return std::optional<int64_t>();
  std::string what = field + " must be an integer" +
                     (unit.empty() ? "" : " number of " + std::string(unit)) + " between " +
                     std::to_string(min) + " and " + std::to_string(max);
  if (!it->is_number_integer()) return InvalidArgument(what);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return InvalidArgument(what);
  }
  int64_t v = it->get<int64_t>();
  if (v < min || v > max) return InvalidArgument(what);
  return std::optional<int64_t>(v);
}

Result<int64_t> JsonBody::RequiredInt(const std::string& field, int64_t min, int64_t max,
                                      std::string_view unit) const {
  ASSIGN_OR_RETURN(auto v, OptionalInt(field, min, max, unit));
  if (!v) return InvalidArgument(field + " is required");
  return *v;
}

Result<std::map<std::string, std::string>> JsonBody::OptionalStringMap(
    const std::string& field) const {
  std::map<std::string, std::string> out;
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return out;
  if (!it->is_object()) return InvalidArgument(field + " must be an object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return InvalidArgument(field + "." + k + " must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<std::optional<TimePoint>> JsonBody::OptionalTime(const std::string& field) const {
  ASSIGN_OR_RETURN(auto text, OptionalString(field));
  if (!text) return std::optional<TimePoint>();
  auto t = ParseIso8601(*text);
  if (!t)
    return InvalidArgument(field + " must be an ISO 8601 timestamp like 2030-01-01T00:00:00Z");
  return std::optional<TimePoint>(*t);
}

}  // namespace latchkey
