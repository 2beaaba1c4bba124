#include "services/oauth/providers.h"

#include <nlohmann/json.hpp>

#include "common/hosts.h"
#include "common/json_text.h"
#include "common/strings.h"
#include "common/url.h"
#include "services/oauth/json_fields.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

// Every `slot` ("{tenant}") in `url` replaced by `value`.
std::string Fill(std::string url, std::string_view slot, std::string_view value) {
  for (size_t at = url.find(slot); at != std::string::npos; at = url.find(slot, at)) {
    url.replace(at, slot.size(), value);
    at += value.size();
  }
  return url;
}

std::string FillTenant(std::string url, std::string_view tenant) {
  return Fill(std::move(url), "{tenant}", tenant);
}

// A client id is the account's own input: encoded, so it stays one path
// segment of the provider's URL.
std::string FillUrl(const std::string& url, std::string_view tenant, std::string_view client_id) {
  return Fill(FillTenant(url, tenant), "{clientId}", PercentEncode(client_id));
}

OAuthProvider Google() {
  OAuthProvider p;
  p.id = p.type = "google";
  p.authorization_url = "https://accounts.google.com/o/oauth2/v2/auth";
  p.token_url = "https://oauth2.googleapis.com/token";
  p.revocation_url = "https://oauth2.googleapis.com/revoke";
  p.scopes = {"openid", "email"};
  // Without both, Google issues no refresh token (or only on first consent).
  p.authorization_params = {{"access_type", "offline"}, {"prompt", "consent"}};
  p.issuer = "https://accounts.google.com";
  p.api_hosts = {"www.googleapis.com", "*.googleapis.com"};
  p.api_base_url = "https://www.googleapis.com";
  return p;
}

OAuthProvider Microsoft() {
  OAuthProvider p;
  p.id = p.type = "microsoft";
  p.authorization_url = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize";
  p.token_url = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";
  // offline_access is what makes Microsoft issue a refresh token.
  p.scopes = {"offline_access", "User.Read"};
  p.uses_tenant = true;
  p.api_hosts = {"graph.microsoft.com"};
  p.api_base_url = "https://graph.microsoft.com";
  return p;
}

OAuthProvider Slack() {
  OAuthProvider p;
  p.id = p.type = "slack";
  p.authorization_url = "https://slack.com/oauth/v2/authorize";
  p.token_url = "https://slack.com/api/oauth.v2.access";
  p.revocation_url = "https://slack.com/api/auth.revoke";
  p.revocation_dialect = RevocationDialect::kSlack;
  p.scope_separator = ",";
  // Enabling PKCE turns a Slack app into a public client for good, so it
  // is off unless the operator's providers file turns it on.
  p.pkce = false;
  p.dialect = TokenDialect::kSlack;
  p.api_hosts = {"slack.com"};
  p.api_base_url = "https://slack.com/api";
  return p;
}

OAuthProvider Github() {
  OAuthProvider p;
  p.id = p.type = "github";
  p.authorization_url = "https://github.com/login/oauth/authorize";
  p.token_url = "https://github.com/login/oauth/access_token";
  // Deleting the grant revokes every token of this user for the app.
  p.revocation_url = "https://api.github.com/applications/{clientId}/grant";
  p.revocation_dialect = RevocationDialect::kGithub;
  p.scopes = {"read:user"};
  p.dialect = TokenDialect::kGithub;
  p.api_hosts = {"api.github.com"};
  p.api_base_url = "https://api.github.com";
  // GitHub refuses calls without a User-Agent.
  p.api_headers = {{"Accept", "application/vnd.github+json"},
                   {"X-GitHub-Api-Version", "2022-11-28"},
                   {"User-Agent", "latchkey"}};
  return p;
}

OAuthProvider Notion() {
  OAuthProvider p;
  p.id = p.type = "notion";
  p.authorization_url = "https://api.notion.com/v1/oauth/authorize";
  p.token_url = "https://api.notion.com/v1/oauth/token";
  p.revocation_url = "https://api.notion.com/v1/oauth/revoke";
  p.revocation_dialect = RevocationDialect::kNotion;
  p.authorization_params = {{"owner", "user"}};
  p.client_auth = ClientAuth::kBasic;
  p.body_format = BodyFormat::kJson;
  p.pkce = false;
  p.dialect = TokenDialect::kNotion;
  p.api_hosts = {"api.notion.com"};
  p.api_base_url = "https://api.notion.com";
  // Notion refuses calls that do not name the API version they expect.
  p.api_headers = {{"Notion-Version", "2022-06-28"}};
  return p;
}

std::vector<OAuthProvider> BuiltInEntries() {
  return {Google(), Microsoft(), Slack(), Github(), Notion()};
}

bool IsProviderId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// An absolute http(s) URL with a host; "{tenant}" may appear anywhere.
bool IsEndpointUrl(const std::string& url) {
  size_t rest;
  if (url.rfind("https://", 0) == 0) {
    rest = 8;
  } else if (url.rfind("http://", 0) == 0) {
    rest = 7;
  } else {
    return false;
  }
  if (url.size() > 2048) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f || c == '#') return false;
  }
  size_t end = url.find_first_of("/?", rest);
  std::string authority = url.substr(rest, end == std::string::npos ? end : end - rest);
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  return true;
}

// Applies one providers-file entry over a provider, field by field, in a
// fixed order so the first error reported for a file is always the same.
class EntryReader {
 public:
  EntryReader(const std::string& id, const Json& j) : id_(id), j_(j) {}

  Status Apply(OAuthProvider& p) const {
    RETURN_IF_ERROR(CheckKnownFields());
    RETURN_IF_ERROR(ApplyUrls(p));
    RETURN_IF_ERROR(ApplyLists(p));
    return ApplyChoices(p);
  }

 private:
  Status CheckKnownFields() const {
    static const char* kKnown[] = {"type",
                                   "authorizationUrl",
                                   "tokenUrl",
                                   "revocationUrl",
                                   "revocationDialect",
                                   "scopes",
                                   "scopeSeparator",
                                   "authorizationParams",
                                   "clientAuth",
                                   "bodyFormat",
                                   "pkce",
                                   "tokenDialect",
                                   "apiHosts",
                                   "apiBaseUrl",
                                   "apiHeaders",
                                   "issuer",
                                   "usesTenant"};
    for (const auto& [key, value] : j_.items()) {
      bool known = false;
      for (const char* k : kKnown) known |= key == k;
      if (!known) return Bad(key, "is not a known field");
    }
    return Status::Ok();
  }
  Status ApplyUrls(OAuthProvider& p) const {
    RETURN_IF_ERROR(Url("authorizationUrl", p.authorization_url));
    RETURN_IF_ERROR(Url("tokenUrl", p.token_url));
    RETURN_IF_ERROR(OptionalUrl("revocationUrl", p.revocation_url));
    RETURN_IF_ERROR(OptionalUrl("issuer", p.issuer));
    return ApiBaseUrl(p.api_base_url);
  }
  // Null removes the built-in base URL; a base URL takes no query.
  Status ApiBaseUrl(std::string& out) const {
    std::optional<std::string> url = out.empty() ? std::nullopt : std::optional(out);
    RETURN_IF_ERROR(OptionalUrl("apiBaseUrl", url));
    if (url && url->find_first_of("?{") != std::string::npos) {
      return Bad("apiBaseUrl", "must be an absolute http(s) URL without a query");
    }
    out = url.value_or("");
    return Status::Ok();
  }
  Status ApplyLists(OAuthProvider& p) const {
    RETURN_IF_ERROR(Strings("scopes", p.scopes, false));
    RETURN_IF_ERROR(Strings("apiHosts", p.api_hosts, true));
    if (const Json* v = JsonMember(j_, "scopeSeparator")) {
      const std::string* sep = v->get_ptr<const std::string*>();
      if (!sep || (*sep != " " && *sep != ","))
        return Bad("scopeSeparator", "must be \" \" or \",\"");
      p.scope_separator = *sep;
    }
    RETURN_IF_ERROR(ApiHeaders(p.api_headers));
    if (const Json* v = JsonMember(j_, "authorizationParams")) {
      if (!v->is_object()) return Bad("authorizationParams", "must be an object of strings");
      p.authorization_params.clear();
      for (const auto& [name, value] : v->items()) {
        const std::string* text = value.get_ptr<const std::string*>();
        if (!text || name.empty())
          return Bad("authorizationParams", "must be an object of strings");
        p.authorization_params.emplace_back(name, *text);
      }
    }
    return Status::Ok();
  }
  // An object of header names to values; null or {} sends none.
  Status ApiHeaders(std::vector<std::pair<std::string, std::string>>& out) const {
    const Json* v = JsonMember(j_, "apiHeaders");
    if (!v) return Status::Ok();
    out.clear();
    if (v->is_null()) return Status::Ok();
    if (!v->is_object()) return Bad("apiHeaders", "must be an object of strings");
    for (const auto& [name, value] : v->items()) {
      const std::string* text = value.get_ptr<const std::string*>();
      if (!text || !IsHeaderName(name) || !IsHeaderValue(*text)) {
        return Bad("apiHeaders", "must map header names to header values");
      }
      out.emplace_back(name, *text);
    }
    return Status::Ok();
  }
  Status ApplyChoices(OAuthProvider& p) const {
    RETURN_IF_ERROR(Choice(
        "clientAuth", {{"body", ClientAuth::kBody}, {"basic", ClientAuth::kBasic}}, p.client_auth));
    RETURN_IF_ERROR(Choice("bodyFormat", {{"form", BodyFormat::kForm}, {"json", BodyFormat::kJson}},
                           p.body_format));
    RETURN_IF_ERROR(Choice("tokenDialect",
                           {{"standard", TokenDialect::kStandard},
                            {"slack", TokenDialect::kSlack},
                            {"github", TokenDialect::kGithub},
                            {"notion", TokenDialect::kNotion}},
                           p.dialect));
    // An entry that names a token dialect revokes in the same one unless
    // it says otherwise.
    if (JsonMember(j_, "tokenDialect") && !JsonMember(j_, "revocationDialect")) {
      p.revocation_dialect = p.dialect == TokenDialect::kSlack    ? RevocationDialect::kSlack
                             : p.dialect == TokenDialect::kGithub ? RevocationDialect::kGithub
                             : p.dialect == TokenDialect::kNotion ? RevocationDialect::kNotion
                                                                  : RevocationDialect::kRfc7009;
    }
    RETURN_IF_ERROR(Choice("revocationDialect",
                           {{"rfc7009", RevocationDialect::kRfc7009},
                            {"slack", RevocationDialect::kSlack},
                            {"github", RevocationDialect::kGithub},
                            {"notion", RevocationDialect::kNotion}},
                           p.revocation_dialect));
    RETURN_IF_ERROR(Bool("pkce", p.pkce));
    return Bool("usesTenant", p.uses_tenant);
  }

  Status Bad(std::string_view field, std::string_view why) const {
    return InvalidArgument("providers file: " + id_ + "." + std::string(field) + " " +
                           std::string(why));
  }
  Status Url(const char* field, std::string& out) const {
    const Json* v = JsonMember(j_, field);
    if (!v) return Status::Ok();
    const std::string* url = v->get_ptr<const std::string*>();
    if (!url || !IsEndpointUrl(*url)) return Bad(field, "must be an absolute http(s) URL");
    out = *url;
    return Status::Ok();
  }
  // Like Url, where null removes the built-in value.
  Status OptionalUrl(const char* field, std::optional<std::string>& out) const {
    const Json* v = JsonMember(j_, field);
    if (!v) return Status::Ok();
    if (v->is_null()) {
      out.reset();
      return Status::Ok();
    }
    std::string url;
    RETURN_IF_ERROR(Url(field, url));
    out = std::move(url);
    return Status::Ok();
  }
  Status Strings(const char* field, std::vector<std::string>& out, bool hosts) const {
    const Json* v = JsonMember(j_, field);
    if (!v) return Status::Ok();
    if (!v->is_array()) return Bad(field, "must be an array of strings");
    std::vector<std::string> values;
    for (const Json& item : *v) {
      const std::string* s = item.get_ptr<const std::string*>();
      if (!s || s->empty()) return Bad(field, "must be an array of strings");
      if (hosts && !ValidateHostPattern(*s).ok()) return Bad(field, "has an invalid host: " + *s);
      values.push_back(*s);
    }
    out = std::move(values);
    return Status::Ok();
  }
  template <typename E>
  Status Choice(const char* field, std::initializer_list<std::pair<const char*, E>> options,
                E& out) const {
    const Json* v = JsonMember(j_, field);
    if (!v) return Status::Ok();
    const std::string* chosen = v->get_ptr<const std::string*>();
    std::string names;
    for (const auto& [name, value] : options) {
      if (chosen && *chosen == name) {
        out = value;
        return Status::Ok();
      }
      names += names.empty() ? std::string("\"") + name + "\"" : std::string(", \"") + name + "\"";
    }
    return Bad(field, "must be one of " + names);
  }
  Status Bool(const char* field, bool& out) const {
    const Json* v = JsonMember(j_, field);
    if (!v) return Status::Ok();
    const bool* b = v->get_ptr<const bool*>();
    if (!b) return Bad(field, "must be true or false");
    out = *b;
    return Status::Ok();
  }

  const std::string& id_;
  const Json& j_;
};

// The provider a providers-file entry applies to: the built-in one of
// that id, or a new generic entry appended to `providers` (which must say
// type "oauth2" and name both URLs). The pointer is valid until
// `providers` grows again.
Result<OAuthProvider*> EntryTarget(std::vector<OAuthProvider>& providers, const std::string& id,
                                   const Json& entry) {
  if (!IsProviderId(id)) {
    return InvalidArgument("providers file: '" + id +
                           "' is not a provider id (a-z, 0-9, - and _, up to 64)");
  }
  if (!entry.is_object()) return InvalidArgument("providers file: " + id + " must be an object");
  OAuthProvider* existing = nullptr;
  for (auto& p : providers) {
    if (p.id == id) existing = &p;
  }
  const std::string* named_type = JsonStringMember(entry, "type");
  std::string type = named_type ? *named_type : (existing ? existing->type : "");
  if (existing) {
    if (type != existing->type) {
      return InvalidArgument("providers file: " + id + ".type cannot change a built-in provider");
    }
    return existing;
  }
  if (type != "oauth2") {
    return InvalidArgument("providers file: " + id + ".type must be \"oauth2\" for a new provider");
  }
  if (!JsonMember(entry, "authorizationUrl") || !JsonMember(entry, "tokenUrl")) {
    return InvalidArgument("providers file: " + id + " needs authorizationUrl and tokenUrl");
  }
  OAuthProvider p;
  p.id = id;
  p.type = "oauth2";
  providers.push_back(std::move(p));
  return &providers.back();
}

}  // namespace

std::string OAuthProvider::AuthorizationUrl(std::string_view tenant,
                                            std::string_view client_id) const {
  return FillUrl(authorization_url, tenant, client_id);
}

std::string OAuthProvider::TokenUrl(std::string_view tenant, std::string_view client_id) const {
  return FillUrl(token_url, tenant, client_id);
}

std::optional<std::string> OAuthProvider::RevocationUrl(std::string_view tenant,
                                                        std::string_view client_id) const {
  if (!revocation_url) return std::nullopt;
  return FillUrl(*revocation_url, tenant, client_id);
}

std::optional<std::string> OAuthProvider::Issuer(std::string_view tenant) const {
  if (!issuer) return std::nullopt;
  return FillTenant(*issuer, tenant);
}

OAuthProviders OAuthProviders::BuiltIn() {
  OAuthProviders p;
  p.providers_ = BuiltInEntries();
  return p;
}

Result<OAuthProviders> OAuthProviders::WithOverrides(std::string_view text) {
  if (!JsonNestingWithin(text)) {
    return InvalidArgument("providers file: " + JsonTooDeepMessage("the document"));
  }
  if (HasNulByte(text)) return InvalidArgument("providers file: holds a NUL byte");
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("providers file: not a JSON object");
  }
  OAuthProviders out = BuiltIn();
  for (const auto& [id, entry] : doc.items()) {
    ASSIGN_OR_RETURN(OAuthProvider * target, EntryTarget(out.providers_, id, entry));
    RETURN_IF_ERROR(EntryReader(id, entry).Apply(*target));
    out.from_file_.push_back(id);
  }
  return out;
}

const OAuthProvider* OAuthProviders::Find(std::string_view id) const {
  for (const auto& p : providers_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

}  // namespace latchkey
