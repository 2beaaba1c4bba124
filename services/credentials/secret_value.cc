#include "services/credentials/secret_value.h"

#include <strings.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/secret_text.h"
#include "services/credentials/credentials_internal.h"

namespace latchkey {

SecretValue::~SecretValue() {
  for (std::string* s : {&value, &username, &password, &cookies}) SecureWipe(s->data(), s->size());
  for (auto& [n, v] : headers) SecureWipe(v.data(), v.size());
}

std::string_view SecretTypeName(SecretType t) {
  switch (t) {
    case SecretType::kApiKey:
      return "API_KEY";
    case SecretType::kBasicAuth:
      return "BASIC_AUTH";
    case SecretType::kCookie:
      return "COOKIE";
    case SecretType::kCustomHeader:
      return "CUSTOM_HEADER";
    case SecretType::kQueryParam:
      return "QUERY_PARAM";
  }
  return "API_KEY";
}

std::optional<SecretType> ParseSecretType(std::string_view text) {
  for (SecretType t : {SecretType::kApiKey, SecretType::kBasicAuth, SecretType::kCookie,
                       SecretType::kCustomHeader, SecretType::kQueryParam}) {
    if (SecretTypeName(t) == text) return t;
  }
  return std::nullopt;
}

namespace credentials_internal {
namespace {

using json = nlohmann::json;

// Longest header or query parameter name a secret may carry.
constexpr size_t kMaxPartName = 128;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers a secret may not set: framing, routing and the proxy's own.
bool IsReservedHeader(std::string_view name) {
  static const char* kReserved[] = {"host",       "content-length", "transfer-encoding",
                                    "connection", "keep-alive",     "upgrade",
                                    "te",         "trailer",        "expect"};
  for (const char* r : kReserved) {
    if (name.size() == strlen(r) && strncasecmp(name.data(), r, name.size()) == 0) return true;
  }
  for (std::string_view prefix : {"proxy-", "x-target-", "x-credential-"}) {
    if (name.size() >= prefix.size() &&
        strncasecmp(name.data(), prefix.data(), prefix.size()) == 0) {
      return true;
    }
  }
  return false;
}

// A part filled in that `type` does not use is refused rather than ignored:
// the caller most likely picked the wrong type.
Status CheckOnlyPartsOfType(SecretType type, const SecretValue& v) {
  auto must_be_empty = [&](bool empty, const char* field) -> Status {
    if (empty) return Status::Ok();
    return InvalidArgument(std::string(field) + " does not apply to type " +
                           std::string(SecretTypeName(type)));
  };
  RETURN_IF_ERROR(must_be_empty(
      type == SecretType::kApiKey || type == SecretType::kQueryParam || v.value.empty(), "value"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kBasicAuth || v.username.empty(), "username"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kBasicAuth || v.password.empty(), "password"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kCookie || v.cookies.empty(), "cookies"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kCustomHeader || v.headers.empty(), "headers"));
  return must_be_empty(type == SecretType::kQueryParam || v.param.empty(), "param");
}

Status CheckBasicAuth(const SecretValue& v) {
  RETURN_IF_ERROR(CheckValue(v.username, "username", 1));
  // RFC 7617: the user-id ends at the first ':'.
  if (v.username.find(':') != std::string::npos) {
    return InvalidArgument("username must not contain ':'");
  }
  return CheckValue(v.password, "password", 1);
}

Status CheckHeader(const std::string& name, const std::string& value) {
  if (name.empty() || name.size() > kMaxPartName) {
    return InvalidArgument("headers: a header name must be 1-128 characters");
  }
  for (char c : name) {
    if (!IsTokenChar(c)) return InvalidArgument("headers: '" + name + "' is not a header name");
  }
  if (IsReservedHeader(name)) {
    return InvalidArgument("headers: '" + name + "' cannot be set by a secret");
  }
  return CheckValue(value, "headers." + name, 1);
}

Status CheckHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  if (headers.empty()) return InvalidArgument("headers must name at least one header");
  if (headers.size() > CredentialService::kMaxHeaders) {
    return InvalidArgument("headers has more than " +
                           std::to_string(CredentialService::kMaxHeaders) + " entries");
  }
  for (const auto& [name, value] : headers) RETURN_IF_ERROR(CheckHeader(name, value));
  return Status::Ok();
}

// The parameter name goes into URLs unescaped, so it is held to RFC 3986's
// unreserved characters.
Status CheckQueryParam(const SecretValue& v) {
  if (v.param.empty() || v.param.size() > kMaxPartName) {
    return InvalidArgument("param must be 1-128 characters");
  }
  for (char c : v.param) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '~';
    if (!ok) return InvalidArgument("param may contain only letters, digits, '-', '_', '.', '~'");
  }
  return CheckValue(v.value, "value", 1);
}

// A string member of the sealed object: absent is empty, anything but a
// string is damage.
Status ReadPart(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_string()) return DataLoss("stored secret does not parse");
  *out = it->get<std::string>();
  return Status::Ok();
}

// The sealed "headers" member: an array of [name, value] string pairs.
Status ReadHeaders(const json& j, SecretValue* v) {
  auto it = j.find("headers");
  if (it == j.end()) return Status::Ok();
  if (!it->is_array()) return DataLoss("stored secret does not parse");
  for (const json& h : *it) {
    if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) {
      return DataLoss("stored secret does not parse");
    }
    v->headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
  }
  return Status::Ok();
}

Result<SecretValue> SecretValueFromJson(const json& j) {
  if (!j.is_object()) return DataLoss("stored secret does not parse");
  SecretValue v;
  RETURN_IF_ERROR(ReadPart(j, "value", &v.value));
  RETURN_IF_ERROR(ReadPart(j, "username", &v.username));
  RETURN_IF_ERROR(ReadPart(j, "password", &v.password));
  RETURN_IF_ERROR(ReadPart(j, "cookies", &v.cookies));
  RETURN_IF_ERROR(ReadPart(j, "param", &v.param));
  RETURN_IF_ERROR(ReadHeaders(j, &v));
  return v;
}

}  // namespace

Status CheckSecretValue(SecretType type, const SecretValue& v) {
  RETURN_IF_ERROR(CheckOnlyPartsOfType(type, v));
  switch (type) {
    case SecretType::kApiKey:
      return CheckValue(v.value, "value", 1);
    case SecretType::kBasicAuth:
      return CheckBasicAuth(v);
    case SecretType::kCookie:
      return CheckValue(v.cookies, "cookies", 1);
    case SecretType::kCustomHeader:
      return CheckHeaders(v.headers);
    case SecretType::kQueryParam:
      return CheckQueryParam(v);
  }
  return InvalidArgument("unknown type");
}

Result<SecretBytes> SealedText(const SecretValue& v) {
  json j = json::object();
  if (!v.value.empty()) j["value"] = v.value;
  if (!v.username.empty()) j["username"] = v.username;
  if (!v.password.empty()) j["password"] = v.password;
  if (!v.cookies.empty()) j["cookies"] = v.cookies;
  if (!v.param.empty()) j["param"] = v.param;
  if (!v.headers.empty()) {
    j["headers"] = json::array();
    for (const auto& [n, val] : v.headers) j["headers"].push_back({n, val});
  }
  Result<std::string> text = DumpJson(j);
  WipeJsonStrings(j);  // `j` holds copies of every part
  if (!text.ok()) return text.status();
  SecretBytes out(*text);
  SecureWipe(text->data(), text->size());
  return out;
}

Result<SecretValue> ParseSealedText(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  Result<SecretValue> value = SecretValueFromJson(j);
  WipeJsonStrings(j);  // on every path: `j` holds copies of every part
  return value;
}

std::vector<MaskedPart> MaskedParts(SecretType type, const SecretValue& v) {
  std::vector<MaskedPart> parts;
  auto add = [&](std::string part, std::string_view value) {
    parts.push_back(MaskedPart{std::move(part), MaskedLast4(value)});
  };
  switch (type) {
    case SecretType::kApiKey:
    case SecretType::kQueryParam:
      add("value", v.value);
      break;
    case SecretType::kBasicAuth:
      add("username", v.username);
      add("password", v.password);
      break;
    case SecretType::kCookie:
      add("cookies", v.cookies);
      break;
    case SecretType::kCustomHeader:
      for (const auto& [n, val] : v.headers) add("headers." + n, val);
      break;
  }
  return parts;
}

}  // namespace credentials_internal
}  // namespace latchkey
