#include "api/dev_providers.h"

#include <nlohmann/json.hpp>

#include "api/responses.h"
#include "common/crypto.h"
#include "common/strings.h"
#include "common/url.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

constexpr const char* kProviders[] = {"google", "microsoft", "slack", "github", "notion"};
constexpr int64_t kLifetime = 3600;
constexpr int64_t kGithubRefreshLifetime = 15811200;  // 183 days, as GitHub says

bool Known(const std::string& provider) {
  for (const char* p : kProviders) {
    if (provider == p) return true;
  }
  return false;
}

std::string NewToken(const std::string& prefix) {
  return prefix + Base64UrlEncode(AsView(RandomBytes(18)));
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// An error in the dialect's own shape.
HttpResponse DialectError(const std::string& provider, int status, const std::string& code) {
  if (provider == "slack") return JsonResponse(200, {{"ok", false}, {"error", code}});
  if (provider == "github") return JsonResponse(200, {{"error", code}});
  return JsonResponse(status, {{"error", code}});
}

std::string DeadGrantCode(const std::string& provider) {
  if (provider == "slack") return "invalid_refresh_token";
  if (provider == "github") return "bad_refresh_token";
  return "invalid_grant";
}

std::string Get(const FormFields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return "";
}

// The client id and secret of an "Authorization: Basic" header.
std::optional<std::pair<std::string, std::string>> BasicCredentials(const HttpRequest& request) {
  std::string header = request.Header("Authorization").value_or("");
  if (header.rfind("Basic ", 0) != 0) return std::nullopt;
  auto decoded = Base64Decode(header.substr(6));
  if (!decoded.ok()) return std::nullopt;
  std::string pair(AsView(*decoded));
  size_t colon = pair.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto id = PercentDecode(pair.substr(0, colon), false);
  auto secret = PercentDecode(pair.substr(colon + 1), false);
  if (!id || !secret) return std::nullopt;
  return std::make_pair(*id, *secret);
}

std::string BearerOf(const HttpRequest& request) {
  std::string header = request.Header("Authorization").value_or("");
  return header.size() > 7 && strncasecmp(header.c_str(), "Bearer ", 7) == 0 ? header.substr(7)
                                                                             : "";
}

}  // namespace

struct DevProviders::Form {
  FormFields fields;
  std::string Get(std::string_view name) const { return latchkey::Get(fields, name); }
};

std::string DevProviders::ProvidersJson(const std::string& base) {
  std::string host = base.substr(base.find("://") + 3);
  json out = json::object();
  for (const char* p : kProviders) {
    std::string b = base + "/dev/oauth/" + p;
    json entry = {{"authorizationUrl", b + "/authorize"},
                  {"tokenUrl", b + "/token"},
                  {"apiBaseUrl", b + "/api"},
                  {"apiHosts", {host}}};
    std::string id = p;
    if (id == "google") entry["issuer"] = b;
    if (id == "google" || id == "slack" || id == "notion") entry["revocationUrl"] = b + "/revoke";
    if (id == "github") entry["revocationUrl"] = b + "/applications/{clientId}/grant";
    if (id == "microsoft") entry["usesTenant"] = false;
    out[id] = entry;
  }
  return out.dump();
}

Result<HttpResponse> DevProviders::Authorize(const HttpRequest& request,
                                             const std::string& provider) {
  if (!Known(provider)) return NotFound("no dev provider '" + provider + "'");
  auto q = [&](const char* name) { return request.Query(name).value_or(""); };
  if (q("client_id") != ClientId(provider) || q("response_type") != "code") {
    return InvalidArgument("the dev " + provider + " provider knows only client_id " +
                           ClientId(provider) + " and response_type=code");
  }
  if (q("state").empty()) return InvalidArgument("state is required");
  if (q("redirect_uri").rfind(base_ + "/", 0) != 0) {
    return InvalidArgument("redirect_uri must be on " + base_ + " (the only one registered)");
  }
  if (!q("code_challenge").empty() && q("code_challenge_method") != "S256") {
    return InvalidArgument("code_challenge_method must be S256");
  }
  std::string hidden;
  for (const char* name :
       {"redirect_uri", "state", "scope", "user_scope", "code_challenge", "client_id"}) {
    hidden += "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" +
              HtmlEscape(q(name)) + "\">\n";
  }
  std::string scopes = q("scope") + (q("user_scope").empty() ? "" : " " + q("user_scope"));
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dev " +
           HtmlEscape(provider) +
           "</title></head>\n<body><h1>Latchkey dev mode: " + HtmlEscape(provider) +
           "</h1>\n<p>An app asks for access to your (pretend) " + HtmlEscape(provider) +
           " account with the scopes: <code>" + HtmlEscape(scopes) +
           "</code></p>\n<form method=\"post\" action=\"/dev/oauth/" + HtmlEscape(provider) +
           "/decide\">\n" + hidden +
           "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n"
           "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n"
           "</form></body></html>\n";
  return r;
}

Result<HttpResponse> DevProviders::Decide(const HttpRequest& request, const std::string& provider) {
  if (!Known(provider)) return NotFound("no dev provider '" + provider + "'");
  auto form = FormDecode(request.body);
  if (!form) return InvalidArgument("the body must be a form");
  std::string redirect = Get(*form, "redirect_uri");
  if (redirect.rfind(base_ + "/", 0) != 0) {
    return InvalidArgument("redirect_uri must be on " + base_ + " (the only one registered)");
  }
  FormFields back = {{"state", Get(*form, "state")}};
  if (Get(*form, "decision") != "allow") {
    back.emplace_back("error", "access_denied");
    return RedirectResponse(AppendQuery(redirect, back));
  }
  std::string code = NewToken("dev-code-");
  {
    std::lock_guard<std::mutex> lock(mu_);
    codes_[code] = Code{provider, redirect, Get(*form, "code_challenge"), Get(*form, "scope"),
                        Get(*form, "user_scope")};
  }
  back.emplace_back("code", code);
  if (provider == "google") back.emplace_back("iss", base_ + "/dev/oauth/google");
  return RedirectResponse(AppendQuery(redirect, back));
}

Result<HttpResponse> DevProviders::Token(const HttpRequest& request, const std::string& provider) {
  if (!Known(provider)) return NotFound("no dev provider '" + provider + "'");
  Form form;
  if (provider == "notion") {
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return DialectError(provider, 400, "invalid_request");
    for (const auto& [k, v] : body.items()) {
      if (v.is_string()) form.fields.emplace_back(k, v.get<std::string>());
    }
  } else if (auto fields = FormDecode(request.body)) {
    form.fields = std::move(*fields);
  } else {
    return DialectError(provider, 400, "invalid_request");
  }
  if (provider == "github" && request.Header("Accept").value_or("") != "application/json") {
    HttpResponse r;  // GitHub answers form-encoded unless asked for JSON
    r.content_type = "application/x-www-form-urlencoded";
    r.body = "error=unsupported_accept";
    return r;
  }
  auto basic = BasicCredentials(request);
  std::string id = basic ? basic->first : form.Get("client_id");
  std::string secret = basic ? basic->second : form.Get("client_secret");
  if ((provider == "notion") != basic.has_value() || id != ClientId(provider) ||
      secret != ClientSecret(provider)) {
    return DialectError(provider, 401, "invalid_client");
  }
  std::string grant = form.Get("grant_type");
  if (grant == "authorization_code") return Exchange(provider, form);
  if (grant == "refresh_token") return RefreshGrant(provider, form);
  return DialectError(provider, 400, "unsupported_grant_type");
}

void DevProviders::Issue(const std::string& provider, const std::string& kind,
                         const std::string& grant, bool refresh, bool expires,
                         nlohmann::json* out) {
  std::string access = NewToken("dev-" + provider + "-at-");
  access_[access] = provider;
  grant_of_[access] = grant;
  (*out)["access_token"] = access;
  if (expires) (*out)["expires_in"] = kLifetime;
  if (refresh) {
    std::string token = NewToken("dev-" + provider + "-rt-");
    refresh_tokens_[token] = Refresh{provider, kind};
    grant_of_[token] = grant;
    (*out)["refresh_token"] = token;
  }
}

HttpResponse DevProviders::Exchange(const std::string& provider, const Form& form) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = codes_.find(form.Get("code"));
  if (it == codes_.end() || it->second.provider != provider) {
    return DialectError(provider, 400,
                        provider == "github" ? "bad_verification_code" : "invalid_grant");
  }
  Code c = it->second;
  codes_.erase(it);  // single use
  std::string verifier = form.Get("code_verifier");
  bool pkce_ok = c.challenge.empty() ? verifier.empty()
                                     : Base64UrlEncode(AsView(Sha256(verifier))) == c.challenge;
  if (c.redirect_uri != form.Get("redirect_uri") || !pkce_ok) {
    return DialectError(provider, 400, "invalid_grant");
  }
  json body = json::object();
  if (provider == "slack") {
    body = {{"ok", true}, {"app_id", "A0DEV"}, {"team", {{"id", "T0DEV"}, {"name", "Dev"}}}};
    if (!c.scope.empty()) {
      Issue(provider, "bot", NewToken("grant-"), true, true, &body);
      body.update({{"token_type", "bot"}, {"scope", c.scope}, {"bot_user_id", "U0DEVBOT"}});
    }
    json user = {{"id", "U0DEV"}};
    if (!c.user_scope.empty()) {
      Issue(provider, "user", NewToken("grant-"), true, true, &user);
      user.update({{"scope", c.user_scope}, {"token_type", "user"}});
    }
    body["authed_user"] = user;
  } else if (provider == "notion") {
    Issue(provider, "", NewToken("grant-"), false, false, &body);
    body.update({{"token_type", "bearer"},
                 {"bot_id", "dev-bot"},
                 {"workspace_id", "dev-workspace"},
                 {"workspace_name", "Dev workspace"},
                 {"owner", {{"type", "user"}, {"user", {{"id", "dev-user"}}}}}});
  } else {
    Issue(provider, "", NewToken("grant-"), true, true, &body);
    body["token_type"] = "Bearer";
    body["scope"] = c.scope;
    if (provider == "github") body["refresh_token_expires_in"] = kGithubRefreshLifetime;
  }
  return JsonResponse(200, body);
}

HttpResponse DevProviders::RefreshGrant(const std::string& provider, const Form& form) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refresh_tokens_.find(form.Get("refresh_token"));
  if (it == refresh_tokens_.end() || it->second.provider != provider) {
    return DialectError(provider, 400, DeadGrantCode(provider));
  }
  json body = json::object();
  std::string grant = grant_of_[it->first];
  if (provider == "google") {  // Google keeps the refresh token: none in the answer
    Issue(provider, "", grant, false, true, &body);
    body["token_type"] = "Bearer";
    return JsonResponse(200, body);
  }
  std::string kind = it->second.kind;
  Forget(it->first, false);  // everyone else rotates
  Issue(provider, kind, grant, true, true, &body);
  body["token_type"] = provider == "slack" ? kind : "bearer";
  if (provider == "slack") body["ok"] = true;
  if (provider == "github") body["refresh_token_expires_in"] = kGithubRefreshLifetime;
  return JsonResponse(200, body);
}

Result<HttpResponse> DevProviders::Revoke(const HttpRequest& request, const std::string& provider) {
  if (!Known(provider) || provider == "microsoft") {
    return NotFound("no revocation endpoint for " + provider);
  }
  auto basic = BasicCredentials(request);
  bool client_ok =
      basic && basic->first == ClientId(provider) && basic->second == ClientSecret(provider);
  std::string token;
  if (provider == "github" || provider == "notion") {
    if (!client_ok) return JsonResponse(401, {{"message", "Requires authentication"}});
    json body = json::parse(request.body, nullptr, false);
    const char* field = provider == "github" ? "access_token" : "token";
    if (!body.is_object() || !body.contains(field) || !body[field].is_string()) {
      return JsonResponse(422, {{"message", "Validation Failed"}});
    }
    token = body[field].get<std::string>();
  } else {
    auto fields = FormDecode(request.body);
    token = fields ? Get(*fields, "token") : "";
  }
  std::lock_guard<std::mutex> lock(mu_);
  bool known = Forget(token, provider == "google" || provider == "github");
  if (provider == "github") {
    if (!known) return JsonResponse(404, {{"message", "Not Found"}});
    HttpResponse r;
    r.status = 204;
    return r;
  }
  if (provider == "slack") return JsonResponse(200, {{"ok", true}, {"revoked", known}});
  return JsonResponse(200, json::object());
}

bool DevProviders::Forget(std::string token, bool whole_grant) {
  auto grant = grant_of_.find(token);
  if (grant == grant_of_.end()) return false;
  std::string id = grant->second;
  for (auto it = grant_of_.begin(); it != grant_of_.end();) {
    if (it->first == token || (whole_grant && it->second == id)) {
      access_.erase(it->first);
      refresh_tokens_.erase(it->first);
      it = grant_of_.erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

Result<HttpResponse> DevProviders::Api(const HttpRequest& request, const std::string& provider) {
  std::string token = BearerOf(request);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = access_.find(token);
    if (it == access_.end() || it->second != provider) {
      return JsonResponse(401, {{"error", "invalid_token"}});
    }
  }
  return JsonResponse(200, {{"ok", true},
                            {"provider", provider},
                            {"user", "dev-user"},
                            {"method", request.method},
                            {"path", request.path}});
}

}  // namespace latchkey
