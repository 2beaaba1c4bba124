// Fuzzes how request bodies are read: JsonBody::ParseObject / Parse and the
// typed getters, the nesting bound every untrusted parse runs first
// (JsonNestingWithin), checked against nlohmann's own reading of the text,
// and the timestamp parser behind JsonBody::OptionalTime.
//
// Input: the body text (the whole input).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "api/json_body.h"
#include "common/clock.h"
#include "common/json_text.h"
#include "tests/fuzz/fuzz_input.h"

namespace latchkey::fuzz {
namespace {

using json = nlohmann::json;

// nlohmann's reading of the text, without building it: valid or not, how
// deep it nests, and whether an object repeats a name.
struct Shape : json::json_sax_t {
  size_t depth = 0;
  size_t max_depth = 0;
  bool repeated = false;
  bool top_object = false;
  bool started = false;
  std::vector<std::set<std::string>> names;

  bool Value() {
    started = true;
    return true;
  }
  bool Open(bool object) {
    if (!started) top_object = object;
    started = true;
    if (++depth > max_depth) max_depth = depth;
    if (object) names.emplace_back();
    return true;
  }
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(true); }
  bool key(string_t& k) override {
    if (!names.back().insert(k).second) repeated = true;
    return true;
  }
  bool end_object() override {
    --depth;
    names.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

void CheckNesting(const std::string& text) {
  Shape shape;
  // nlohmann stops reading at a NUL byte and ignores what follows; JSON
  // (RFC 8259) has no raw NUL anywhere, so such a text is malformed.
  bool valid = json::sax_parse(text, &shape) && text.find('\0') == std::string::npos;
  if (valid) {
    for (size_t limit : {size_t{0}, size_t{1}, size_t{2}, shape.max_depth, kMaxJsonDepth}) {
      Check(JsonNestingWithin(text, limit) == (shape.max_depth <= limit),
            "JsonNestingWithin disagrees with the parser about the depth");
    }
    if (shape.max_depth > 0) {
      Check(!JsonNestingWithin(text, shape.max_depth - 1), "JsonNestingWithin undercounts");
    }
  }
  auto object = JsonBody::ParseObject(text);
  bool should = !text.empty() && valid && shape.top_object && !shape.repeated &&
                shape.max_depth <= kMaxJsonDepth;
  Check(object.ok() == should, "ParseObject accepts what it should refuse, or the reverse");
  if (object.ok()) {
    Check(object->is_object(), "ParseObject returned a non-object");
    (void)object->dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

void CheckGetters(const std::string& text) {
  auto body = JsonBody::Parse(
      text, {"name", "scopes", "n", "metadata", "expiresAt", "flag", "description"});
  if (!body.ok()) return;
  (void)body->Has("name");
  (void)body->RequiredString("name");
  (void)body->OptionalString("description");
  (void)body->RequiredStringArray("scopes");
  (void)body->OptionalInt("n", -5, 1000);
  (void)body->RequiredInt("n", INT64_MIN, INT64_MAX);
  (void)body->OptionalStringMap("metadata");
  auto t = body->OptionalTime("expiresAt");
  if (t.ok() && *t) {
    Check(ParseIso8601(body->json()["expiresAt"].get<std::string>()).has_value(),
          "OptionalTime accepted what ParseIso8601 refuses");
  }
}

void CheckTime(std::string_view text) {
  auto t = ParseIso8601(text);
  if (!t) return;
  int64_t seconds = ToUnix(*t);
  if (seconds < 0 || seconds >= 253370764800) return;  // outside years 1970-9998
  auto again = ParseIso8601(FormatIso8601(*t));
  Check(again && *again == *t, "FormatIso8601 does not read back as the same time");
}

void CheckQuote(const std::string& text) {
  std::string quoted = JsonQuote(text);
  json back = json::parse(quoted, nullptr, false);
  Check(back.is_string(), "JsonQuote output is not a JSON string");
  bool utf8 = true;
  try {
    (void)json(text).dump();
  } catch (const json::exception&) {
    utf8 = false;
  }
  if (utf8) Check(back.get<std::string>() == text, "JsonQuote changed valid UTF-8 text");
  json flat = json::parse(JsonFlatObject({{text, "v"}, {"k", text}}), nullptr, false);
  Check(flat.is_object(), "JsonFlatObject output is not a JSON object");
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey::fuzz;
  std::string text(reinterpret_cast<const char*>(data), size);
  CheckNesting(text);
  CheckGetters(text);
  CheckTime(text);
  CheckQuote(text);
  return 0;
}
