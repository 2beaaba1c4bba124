#include "services/oauth/token_endpoint.h"

#include <strings.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "common/json_text.h"
#include "common/url.h"
#include "services/oauth/json_fields.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxTokenLength = 16 * 1024;
constexpr int64_t kMaxExpiresIn = 10LL * 365 * 24 * 3600;

// Error codes that mean the grant is gone and only the user can renew it.
bool IsReauthError(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      "invalid_grant",  // RFC 6749 §5.2; Google, Microsoft, Notion
      "invalid_refresh_token", "token_revoked",         "token_expired",   // Slack
      "bad_refresh_token",     "bad_verification_code",                    // GitHub
      "interaction_required",  "consent_required",      "login_required",  // Microsoft
  };
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

bool IsTransientError(std::string_view code) {
  return code == "temporarily_unavailable" || code == "server_error" || code == "ratelimited" ||
         code == "slow_down";
}

// Provider error codes are short ASCII identifiers; anything else is cut.
std::string SafeCode(const Json* v) {
  const std::string* code = v ? v->get_ptr<const std::string*>() : nullptr;
  if (!code) return "unknown_error";
  std::string out;
  for (char c : *code) {
    if (out.size() >= 64) break;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-' || c == '.') {
      out += c;
    }
  }
  return out.empty() ? "unknown_error" : out;
}

// A JSON object, or a form-encoded body read as one (old-style endpoints).
Json ReadBody(std::string_view body) {
  // Read as a response without fields.
  if (!JsonNestingWithin(body) || HasNulByte(body)) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) return j;
  auto form = FormDecode(body);
  Json out = Json::object();
  if (!form) return out;
  for (auto& [name, value] : *form) out[name] = value;
  return out;
}

// A count of seconds sent as a number or a digit string; -1 for anything
// unusable (the caller refuses it), nullopt when the field is absent.
std::optional<int64_t> ReadSeconds(const Json& j, const char* field) {
  const Json* v = JsonMember(j, field);
  if (!v) return std::nullopt;
  if (const auto* n = v->get_ptr<const Json::number_integer_t*>()) return *n;
  if (const auto* n = v->get_ptr<const Json::number_unsigned_t*>()) {
    return *n <= static_cast<uint64_t>(kMaxExpiresIn) ? static_cast<int64_t>(*n) : -1;
  }
  if (const auto* d = v->get_ptr<const Json::number_float_t*>()) {
    // Out of range, the cast would be undefined; the caller refuses -1.
    return *d >= 0 && *d <= static_cast<double>(kMaxExpiresIn) ? static_cast<int64_t>(*d) : -1;
  }
  const std::string* s = v->get_ptr<const std::string*>();
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!s || s->empty() || s->size() > 12 || !std::all_of(s->begin(), s->end(), digit)) return -1;
  return std::stoll(*s);  // at most 12 digits: cannot overflow
}

std::vector<std::string> ReadScopes(const Json& j) {
  std::vector<std::string> out;
  const std::string* text = JsonStringMember(j, "scope");
  if (!text) return out;
  std::string cur;
  for (char c : *text) {
    if (c == ' ' || c == ',') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// One token out of an object holding access_token (and friends).
Result<TokenGrant> ReadGrant(const Json& j, bool slack) {
  TokenGrant g;
  const std::string* access = JsonStringMember(j, "access_token");
  if (!access || access->empty() || access->size() > kMaxTokenLength) {
    return UpstreamError("token endpoint answered without a usable access_token");
  }
  g.access_token = *access;
  if (const std::string* refresh = JsonStringMember(j, "refresh_token")) {
    if (refresh->size() > kMaxTokenLength) {
      return UpstreamError("token endpoint answered an oversized refresh_token");
    }
    g.refresh_token = *refresh;
  }
  if (auto expires = ReadSeconds(j, "expires_in")) {
    if (*expires <= 0 || *expires > kMaxExpiresIn) {
      return UpstreamError("token endpoint answered an unusable expires_in");
    }
    g.expires_in = *expires;
  }
  const std::string* type = slack ? nullptr : JsonStringMember(j, "token_type");
  if (type) {
    g.token_type = strcasecmp(type->c_str(), "bearer") == 0 || type->empty() ? "Bearer" : *type;
    if (g.token_type.size() > 32) g.token_type = g.token_type.substr(0, 32);
  }
  g.scopes = ReadScopes(j);
  return g;
}

// Copies the named non-secret fields into `meta` where present.
void Keep(const Json& from, Json& meta, std::initializer_list<const char*> fields) {
  for (const char* f : fields) {
    const Json* v = JsonMember(from, f);
    if (v && !v->is_null()) meta[f] = *v;
  }
}

// Metadata as stored with the token. A provider's text that is not UTF-8
// cannot be written as JSON; the answer is then as unusable as one
// without an access token.
Result<std::string> MetadataText(const Json& meta) {
  std::optional<std::string> text = DumpJson(meta);
  if (!text) return UpstreamError("token endpoint answered metadata that is not UTF-8");
  return std::move(*text);
}

// Slack's team, enterprise and authed-user facts, kept with its tokens.
Json SlackMetadata(const Json& j) {
  Json meta = Json::object();
  if (const Json* team = JsonMember(j, "team"); team && team->is_object()) {
    if (const Json* id = JsonMember(*team, "id")) meta["team_id"] = *id;
    if (const Json* name = JsonMember(*team, "name")) meta["team_name"] = *name;
  }
  if (const Json* enterprise = JsonMember(j, "enterprise"); enterprise && enterprise->is_object()) {
    if (const Json* id = JsonMember(*enterprise, "id")) meta["enterprise_id"] = *id;
  }
  Keep(j, meta, {"app_id", "bot_user_id", "is_enterprise_install"});
  const Json* user = JsonMember(j, "authed_user");
  if (const Json* id = user ? JsonMember(*user, "id") : nullptr) meta["authed_user_id"] = *id;
  return meta;
}

Result<TokenGrant> ParseSlack(const Json& j) {
  Json meta = SlackMetadata(j);
  const Json* user = JsonMember(j, "authed_user");
  std::unique_ptr<TokenGrant> user_grant;
  if (user && JsonMember(*user, "access_token")) {
    ASSIGN_OR_RETURN(TokenGrant ug, ReadGrant(*user, true));
    Json um = meta;
    um["token_kind"] = "user";
    ASSIGN_OR_RETURN(ug.metadata_json, MetadataText(um));
    user_grant = std::make_unique<TokenGrant>(std::move(ug));
  }
  if (!JsonMember(j, "access_token")) {
    // Only user scopes were granted: the user token is the grant.
    if (!user_grant) return UpstreamError("token endpoint answered without a usable access_token");
    return std::move(*user_grant);
  }
  ASSIGN_OR_RETURN(TokenGrant g, ReadGrant(j, true));
  const std::string* type = JsonStringMember(j, "token_type");
  meta["token_kind"] = type && *type == "user" ? "user" : "bot";
  ASSIGN_OR_RETURN(g.metadata_json, MetadataText(meta));
  g.user = std::move(user_grant);
  return g;
}

// The provider's error code, when the answer carries one.
std::optional<std::string> ErrorCode(const Json& j, bool slack) {
  const Json* ok = JsonMember(j, "ok");
  const Json* error = JsonMember(j, "error");
  if (slack && ok && *ok != true) return SafeCode(error);
  if (error && !error->is_null()) return SafeCode(error);
  return std::nullopt;
}

// The Status for an error answer; see the header for what each code means.
Status ClassifyError(const std::string& error, int http_status) {
  if (IsReauthError(error)) {
    return NeedsReauth("the provider no longer accepts this grant (" + error + ")");
  }
  if (http_status >= 500 || http_status == 429 || IsTransientError(error)) {
    return UpstreamError("the provider's token endpoint failed (" + error + ")");
  }
  return FailedPrecondition("the provider's token endpoint refused the request (" + error + ")");
}

// A standard, GitHub or Notion answer without an error.
Result<TokenGrant> ParseGrant(const OAuthProvider& provider, const Json& j) {
  ASSIGN_OR_RETURN(TokenGrant g, ReadGrant(j, false));
  Json meta = Json::object();
  if (provider.dialect == TokenDialect::kNotion) {
    Keep(j, meta,
         {"workspace_id", "workspace_name", "workspace_icon", "bot_id", "owner",
          "duplicated_template_id"});
  } else {
    // GitHub Apps, and Microsoft for some clients: when the refresh token
    // ends (see UsableUntil).
    Keep(j, meta, {"refresh_token_expires_in"});
  }
  ASSIGN_OR_RETURN(g.metadata_json, MetadataText(meta));
  return g;
}

std::string BasicAuth(const OAuthClientCredentials& client) {
  // RFC 6749 §2.3.1: each part form-encoded before base64.
  std::string pair = PercentEncode(client.client_id) + ":" + PercentEncode(client.client_secret);
  std::string header = "Basic " + Base64Encode(pair);
  SecureWipe(pair.data(), pair.size());
  return header;
}

// The request every token/revocation call shares: client authentication
// (unless the request authenticates itself) and body in the provider's
// format.
HttpClientRequest BuildRequest(const OAuthProvider& provider, const OAuthClientCredentials& client,
                               const std::string& url, Fields fields,
                               const TokenEndpointOptions& options, bool authenticate = true) {
  HttpClientRequest req;
  req.method = "POST";
  req.url = url;
  req.allow_http = url.rfind("http://", 0) == 0;  // only what the operator configured
  req.connect_timeout = options.connect_timeout;
  req.total_timeout = options.total_timeout;
  req.headers.emplace_back("Accept", "application/json");
  if (!authenticate) {
  } else if (provider.client_auth == ClientAuth::kBasic) {
    req.headers.emplace_back("Authorization", BasicAuth(client));
  } else {
    fields.emplace_back("client_id", client.client_id);
    fields.emplace_back("client_secret", client.client_secret);
  }
  if (provider.body_format == BodyFormat::kJson) {
    Json body = Json::object();
    for (auto& [name, value] : fields) body[name] = value;
    req.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    WipeJsonStrings(body);
    req.headers.emplace_back("Content-Type", "application/json");
  } else {
    req.body = FormEncode(fields);
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  for (auto& [name, value] : fields) SecureWipe(value.data(), value.size());
  return req;
}

void WipeRequest(HttpClientRequest& req) {
  SecureWipe(req.body.data(), req.body.size());
  for (auto& [name, value] : req.headers) SecureWipe(value.data(), value.size());
}

}  // namespace

Result<TokenGrant> TokenEndpoint::ParseResponse(const OAuthProvider& provider, int http_status,
                                                std::string_view body) {
  Json j = ReadBody(body);
  bool slack = provider.dialect == TokenDialect::kSlack;
  Result<TokenGrant> out = UpstreamError("unreachable");
  if (std::optional<std::string> error = ErrorCode(j, slack)) {
    out = ClassifyError(*error, http_status);
  } else if (http_status < 200 || http_status > 299) {
    out =
        UpstreamError("the provider's token endpoint answered HTTP " + std::to_string(http_status));
  } else {
    out = slack ? ParseSlack(j) : ParseGrant(provider, j);
  }
  WipeJsonStrings(j);
  return out;
}

Result<TokenGrant> TokenEndpoint::Post(const OAuthProvider& provider,
                                       const OAuthClientCredentials& client, Fields fields) const {
  HttpClientRequest req =
      BuildRequest(provider, client, provider.TokenUrl(client.tenant), std::move(fields), options_);
  auto response = HttpClient::Fetch(req, options_.max_response_bytes);
  WipeRequest(req);
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kUpstreamTimeout) {
      return UpstreamTimeout("the provider's token endpoint did not answer in time");
    }
    return UpstreamError("the provider's token endpoint could not be reached");
  }
  auto grant = ParseResponse(provider, response->status, response->body);
  SecureWipe(response->body.data(), response->body.size());
  return grant;
}

Result<TokenGrant> TokenEndpoint::ExchangeCode(const OAuthProvider& provider,
                                               const OAuthClientCredentials& client,
                                               std::string_view code, std::string_view redirect_uri,
                                               const std::optional<std::string>& verifier) const {
  Fields fields = {{"grant_type", "authorization_code"},
                   {"code", std::string(code)},
                   {"redirect_uri", std::string(redirect_uri)}};
  if (verifier) fields.emplace_back("code_verifier", *verifier);
  return Post(provider, client, std::move(fields));
}

Result<TokenGrant> TokenEndpoint::Refresh(const OAuthProvider& provider,
                                          const OAuthClientCredentials& client,
                                          std::string_view refresh_token) const {
  return Post(provider, client,
              {{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}});
}

Status TokenEndpoint::Revoke(const OAuthProvider& provider, const OAuthClientCredentials& client,
                             std::string_view token, std::string_view hint) const {
  if (!provider.revocation_url)
    return FailedPrecondition("the provider has no revocation endpoint");
  // Slack's auth.revoke authenticates with the token being revoked itself.
  bool slack = provider.dialect == TokenDialect::kSlack;
  Fields fields = {{"token", std::string(token)}};
  if (!slack) fields.emplace_back("token_type_hint", std::string(hint));
  HttpClientRequest req = BuildRequest(provider, client, *provider.revocation_url,
                                       std::move(fields), options_, /*authenticate=*/!slack);
  auto response = HttpClient::Fetch(req, options_.max_response_bytes);
  WipeRequest(req);
  if (!response.ok())
    return UpstreamError("the provider's revocation endpoint could not be reached");
  Json j = ReadBody(response->body);
  // 400/401 are the provider's word on the token (already revoked, expired:
  // RFC 7009 §2.2.1); anything else is an endpoint that did not do its job.
  bool refused_token = response->status == 400 || response->status == 401;
  if (response->status >= 300 && !refused_token) {
    return UpstreamError("the provider's revocation endpoint answered HTTP " +
                         std::to_string(response->status));
  }
  const Json* ok = JsonMember(j, "ok");
  bool refused = refused_token || (provider.dialect == TokenDialect::kSlack && ok && *ok != true);
  if (refused) {
    return FailedPrecondition("the provider refused the revocation (" +
                              SafeCode(JsonMember(j, "error")) + ")");
  }
  return Status::Ok();
}

}  // namespace latchkey
