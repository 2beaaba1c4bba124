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
  } else if (provider.dialect == TokenDialect::kGithub) {
    // GitHub Apps: the refresh token's lifetime. GitHub issues a new refresh
    // token with each refresh, so it counts from the last one (UsableUntil).
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

// The headers the provider's API wants, in place of BuildRequest's Accept:
// the entry's apiHeaders (never its Authorization or Content-Type), then
// what the dialect cannot do without if the entry dropped it (GitHub's
// Accept, API version and User-Agent; Notion-Version).
void SetApiHeaders(const OAuthProvider& provider, bool github, HeaderList* headers) {
  auto set = [&](const std::string& name, const std::string& value, bool replace) {
    auto same = [&](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; };
    bool present = std::any_of(headers->begin(), headers->end(), same);
    if (present && !replace) return;
    std::erase_if(*headers, same);
    headers->emplace_back(name, value);
  };
  for (const auto& [name, value] : provider.api_headers) {
    if (strcasecmp(name.c_str(), "Authorization") == 0 ||
        strcasecmp(name.c_str(), "Content-Type") == 0) {
      continue;
    }
    set(name, value, true);
  }
  if (github) {
    set("Accept", "application/vnd.github+json", false);
    set("X-GitHub-Api-Version", "2022-11-28", false);
    set("User-Agent", "latchkey", false);
  } else {
    set("Notion-Version", "2022-06-28", false);
  }
}

// The revocation request in the provider's dialect (see RevocationDialect).
HttpClientRequest RevocationRequest(const OAuthProvider& provider,
                                    const OAuthClientCredentials& client, const std::string& url,
                                    std::string_view access_token, std::string_view refresh_token,
                                    const TokenEndpointOptions& options) {
  switch (provider.revocation_dialect) {
    case RevocationDialect::kSlack:  // auth.revoke authenticates with the token itself
      return BuildRequest(provider, client, url, {{"token", std::string(access_token)}}, options,
                          /*authenticate=*/false);
    case RevocationDialect::kGithub:
    case RevocationDialect::kNotion: {
      bool github = provider.revocation_dialect == RevocationDialect::kGithub;
      OAuthProvider json_basic = provider;  // JSON body, HTTP Basic, whatever the token calls use
      json_basic.body_format = BodyFormat::kJson;
      json_basic.client_auth = ClientAuth::kBasic;
      HttpClientRequest req =
          BuildRequest(json_basic, client, url,
                       {{github ? "access_token" : "token", std::string(access_token)}}, options);
      if (github) req.method = "DELETE";
      SetApiHeaders(provider, github, &req.headers);
      return req;
    }
    case RevocationDialect::kRfc7009:
      break;
  }
  // Revoking the refresh token ends the whole grant (RFC 7009 §2.1).
  bool by_refresh = !refresh_token.empty();
  return BuildRequest(provider, client, url,
                      {{"token", std::string(by_refresh ? refresh_token : access_token)},
                       {"token_type_hint", by_refresh ? "refresh_token" : "access_token"}},
                      options);
}

// An answer of a reachable endpoint: 429 and 5xx are errors (nothing is
// known to have happened); the rest say what became of the token.
Result<Revocation> JudgeRevocation(RevocationDialect dialect, int status, const Json& j) {
  if (status == 429 || status >= 500 || status < 200 || (status >= 300 && status < 400)) {
    return UpstreamError("the provider's revocation endpoint answered HTTP " +
                         std::to_string(status));
  }
  if (dialect == RevocationDialect::kSlack && status < 300) {
    const Json* ok = JsonMember(j, "ok");
    if (ok && *ok == true) return Revocation::kRevoked;
    std::string error = SafeCode(JsonMember(j, "error"));
    bool dead = error == "invalid_auth" || error == "token_revoked" || error == "not_authed" ||
                error == "token_expired" || error == "account_inactive";
    return dead ? Revocation::kAlreadyRevoked : Revocation::kRefused;
  }
  if (status < 300) return Revocation::kRevoked;
  if (dialect == RevocationDialect::kGithub) {
    return status == 404 || status == 422 ? Revocation::kAlreadyRevoked : Revocation::kRefused;
  }
  // RFC 7009 answers 200 for an unknown token, so a 400/401 is about the
  // token only when it says so (invalid_client and the like are refusals);
  // Notion names its error in "code".
  const Json* code = JsonMember(j, dialect == RevocationDialect::kNotion ? "code" : "error");
  std::string error = SafeCode(code);
  bool dead =
      (status == 400 || status == 401) && (error == "invalid_token" || error == "invalid_grant");
  return dead ? Revocation::kAlreadyRevoked : Revocation::kRefused;
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
      BuildRequest(provider, client, provider.TokenUrl(client.tenant, client.client_id),
                   std::move(fields), options_);
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

std::string_view RevocationName(Revocation r) {
  switch (r) {
    case Revocation::kRevoked:
      return "revoked";
    case Revocation::kAlreadyRevoked:
      return "already_revoked";
    case Revocation::kRefused:
      return "refused";
  }
  return "refused";
}

Result<Revocation> TokenEndpoint::Revoke(const OAuthProvider& provider,
                                         const OAuthClientCredentials& client,
                                         std::string_view access_token,
                                         std::string_view refresh_token) const {
  auto url = provider.RevocationUrl(client.tenant, client.client_id);
  if (!url) return FailedPrecondition("the provider has no revocation endpoint");
  HttpClientRequest req =
      RevocationRequest(provider, client, *url, access_token, refresh_token, options_);
  auto response = HttpClient::Fetch(req, options_.max_response_bytes);
  WipeRequest(req);
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kUpstreamTimeout) {
      return UpstreamTimeout("the provider's revocation endpoint did not answer in time");
    }
    return UpstreamError("the provider's revocation endpoint could not be reached");
  }
  Json j = ReadBody(response->body);
  auto verdict = JudgeRevocation(provider.revocation_dialect, response->status, j);
  WipeJsonStrings(j);
  return verdict;
}

}  // namespace latchkey
