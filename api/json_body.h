// JsonBody: reads a request body as a JSON object and hands out typed fields,
// turning every problem into a 400 that names the field ("name must be a
// string"). Unknown fields are refused, so typos do not pass silently.
//
//   ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(req.body, {"name", "scopes"}));
//   ASSIGN_OR_RETURN(std::string name, body.RequiredString("name"));
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace latchkey {

class JsonBody {
 public:
  // InvalidArgument for an empty body, malformed JSON, a non-object, or a
  // field not in `allowed`.
  static Result<JsonBody> Parse(const std::string& text, const std::vector<std::string>& allowed);
  // The object alone, for bodies whose field names are data. Nesting is
  // bounded (kMaxJsonDepth) and a name repeated within one object is an
  // error: parsers disagree on which copy wins, so neither may.
  static Result<nlohmann::json> ParseObject(const std::string& text);

  bool Has(const std::string& field) const;
  Result<std::string> RequiredString(const std::string& field) const;
  Result<std::optional<std::string>> OptionalString(const std::string& field) const;
  Result<std::vector<std::string>> RequiredStringArray(const std::string& field) const;
  // An integer in [min, max] (no fractions, no strings); null or absent -> nullopt.
  // `unit` ("seconds", "bits") names what the number counts in errors.
  Result<std::optional<int64_t>> OptionalInt(const std::string& field, int64_t min, int64_t max,
                                             std::string_view unit = "") const;
  Result<int64_t> RequiredInt(const std::string& field, int64_t min, int64_t max,
                              std::string_view unit = "") const;
  // An object whose values are all strings; null or absent -> empty.
  Result<std::map<std::string, std::string>> OptionalStringMap(const std::string& field) const;
  // An ISO 8601 timestamp; null or absent -> nullopt.
  Result<std::optional<TimePoint>> OptionalTime(const std::string& field) const;

  const nlohmann::json& json() const { return json_; }

 private:
  explicit JsonBody(nlohmann::json json) : json_(std::move(json)) {}
  nlohmann::json json_;
};

}  // namespace latchkey
