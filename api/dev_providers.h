// DevProviders: the five built-in OAuth providers played in memory for
// `latchkeyd dev`, served by latchkeyd itself under /dev/oauth/{provider}/.
// Each keeps the quirks latchkeyd handles for the real one:
//
//   google     form body, PKCE S256, `iss` on the callback; a refresh answer
//              carries no refresh token (the old one stays)
//   microsoft  every refresh rotates the refresh token
//   slack      errors are HTTP 200 with "ok": false; a bot token plus the
//              authed_user's token when user_scope asks for one
//   github     errors are HTTP 200 with "error"; JSON only with Accept:
//              application/json; refresh_token_expires_in; revocation is
//              DELETE /applications/{clientId}/grant with HTTP Basic
//   notion     HTTP Basic client auth and a JSON body; workspace metadata;
//              no expiry
//
// The authorize endpoint shows a page with Allow and Deny and, as a real
// provider allows only registered redirect URIs, takes only ones on the
// dev server itself; the provider's API under /dev/oauth/{provider}/api/
// says whose token it got. Nothing
// here is a security boundary: dev mode binds loopback only.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/http_types.h"
#include "common/status.h"

namespace latchkey {

class DevProviders {
 public:
  // `base`: latchkeyd's own URL, where these providers live.
  explicit DevProviders(std::string base) : base_(std::move(base)) {}

  // The client id and secret dev mode registers for `provider`.
  static std::string ClientId(const std::string& provider) { return "dev-" + provider; }
  static std::string ClientSecret(const std::string& provider) {
    return "dev-" + provider + "-client-secret";
  }
  // The providers file (JSON) that points every built-in provider here.
  static std::string ProvidersJson(const std::string& base);

  // GET /dev/oauth/{provider}/authorize: the consent page.
  Result<HttpResponse> Authorize(const HttpRequest& request, const std::string& provider);
  // POST /dev/oauth/{provider}/decide: Allow or Deny, back to the client.
  Result<HttpResponse> Decide(const HttpRequest& request, const std::string& provider);
  // POST /dev/oauth/{provider}/token: code exchange and refresh.
  Result<HttpResponse> Token(const HttpRequest& request, const std::string& provider);
  // POST /dev/oauth/{provider}/revoke, DELETE
  // /dev/oauth/github/applications/{clientId}/grant.
  Result<HttpResponse> Revoke(const HttpRequest& request, const std::string& provider);
  // /dev/oauth/{provider}/api/...: who the bearer token belongs to.
  Result<HttpResponse> Api(const HttpRequest& request, const std::string& provider);

 private:
  struct Code {
    std::string provider, redirect_uri, challenge, scope, user_scope;
  };
  struct Refresh {
    std::string provider, kind;
  };
  struct Form;  // a token request's fields, however the dialect sends them

  HttpResponse Exchange(const std::string& provider, const Form& form);
  HttpResponse RefreshGrant(const std::string& provider, const Form& form);
  // Adds an access token (with expires_in when `expires`) and a refresh
  // token (when `refresh`) of `grant` to the token answer `out`. Call with
  // mu_ held.
  void Issue(const std::string& provider, const std::string& kind, const std::string& grant,
             bool refresh, bool expires, nlohmann::json* out);
  // Forgets `token`, or with `whole_grant` every token of its grant (as
  // Google and GitHub revoke). False when the token is unknown. Call with
  // mu_ held. `token` is a copy: callers pass keys of the maps it erases.
  bool Forget(std::string token, bool whole_grant);

  const std::string base_;
  std::mutex mu_;
  std::map<std::string, Code> codes_;              // Guarded by mu_; single use
  std::map<std::string, std::string> access_;      // Guarded by mu_; token -> provider
  std::map<std::string, Refresh> refresh_tokens_;  // Guarded by mu_; valid ones
  std::map<std::string, std::string> grant_of_;    // Guarded by mu_; token -> grant
};

}  // namespace latchkey
