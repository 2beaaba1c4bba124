#include "services/oauth/token_secrets.h"

#include <nlohmann/json.hpp>

#include "services/oauth/json_fields.h"
#include "services/oauth/token_endpoint.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

// One-letter keys: the format of every sealed token set already stored.
constexpr char kAccessKey[] = "a";
constexpr char kRefreshKey[] = "r";
constexpr char kTypeKey[] = "t";

}  // namespace

Result<SecretBytes> EncodeTokenSecrets(const TokenSecrets& s) {
  Json j = {{kAccessKey, s.access_token}, {kRefreshKey, s.refresh_token}, {kTypeKey, s.token_type}};
  std::optional<std::string> text = DumpJson(j);
  WipeJsonStrings(j);
  if (!text) return UpstreamError("the provider issued a token that is not UTF-8");
  SecretBytes plain(*text);
  SecureWipe(text->data(), text->size());
  return plain;
}

Result<TokenSecrets> DecodeTokenSecrets(std::string_view plaintext) {
  Json j = Json::parse(plaintext, nullptr, /*allow_exceptions=*/false);
  const std::string* access = JsonStringMember(j, kAccessKey);
  const std::string* refresh = JsonStringMember(j, kRefreshKey);
  const std::string* type = JsonStringMember(j, kTypeKey);
  TokenSecrets s;
  bool complete = access && refresh && type;
  if (complete) {
    s.access_token = *access;
    s.refresh_token = *refresh;
    s.token_type = *type;
  }
  WipeJsonStrings(j);
  if (!complete) return DataLoss("a sealed OAuth token is malformed");
  return s;
}

TokenSecrets SecretsOf(const TokenGrant& grant) {
  TokenSecrets s;
  s.access_token = grant.access_token;
  s.refresh_token = grant.refresh_token;
  s.token_type = grant.token_type;
  return s;
}

}  // namespace latchkey
