// Fuzzes the OAuth client side: TokenEndpoint::ParseResponse in every
// provider dialect (what a provider's token endpoint answers is untrusted),
// OAuthProviders::WithOverrides (the operator's providers file), and
// OAuthFlows::Callback, the browser's return from the provider, both with
// unknown states and with the state of a session opened for the input.
// The code exchange a valid callback triggers goes to 127.0.0.1:1, which
// refuses at once: no network.
//
// Input: a mode byte, then
//   mode 0: provider byte, HTTP status byte, then the response body;
//   mode 1: the providers file;
//   mode 2: provider byte, then the callback query ("code=x&state=@state");
//           "@state" and "@iss" in values become the session's state and
//           the provider's issuer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/json_text.h"
#include "common/url.h"
#include "services/oauth/oauth.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_world.h"

namespace latchkey::fuzz {
namespace {

using json = nlohmann::json;

constexpr char kRedirect[] = "https://app.test/cb";
constexpr char kPublicUrl[] = "http://lk.test";
const char* const kProviders[] = {"google", "microsoft", "slack", "github", "notion"};

OAuthProviders LoopbackProviders() {
  json file = json::object();
  for (const char* id : kProviders) file[id] = {{"tokenUrl", "http://127.0.0.1:1/token"}};
  file["google"]["issuer"] = "https://accounts.google.com";
  auto p = OAuthProviders::WithOverrides(file.dump());
  Require(p.ok(), "providers");
  return std::move(*p);
}

struct OAuthWorld : CertificatesWorld {
  bool oauth_migrated = OAuthService::Migrate(*db).ok();
  OAuthService oauth{*db, envelope, audit, clock, LoopbackProviders()};
  OAuthWorld() {
    Require(oauth_migrated, "oauth migrations");
    Require(oauth.clients.SetRedirectUris(account_id, {kRedirect}, ctx).ok(), "redirect uris");
    for (const char* id : kProviders) {
      OAuthClientWrite w;
      w.client_id = "client-" + std::string(id);
      w.client_secret = "secret-" + std::string(id);
      Require(oauth.clients.Put(account_id, id, w, ctx).ok(), "client");
    }
  }
};

OAuthWorld& World() {
  static OAuthWorld* world = new OAuthWorld();  // lives until exit
  return *world;
}

int HttpStatus(uint8_t b) {
  static const int kCommon[] = {200, 201, 204, 400, 401, 403, 429, 500, 502, 503};
  return b < 200 ? kCommon[b % 10] : 100 + (b - 200) * 9;
}

// The token values in a body, to look for in error messages.
void Tokens(const json& j, std::vector<std::string>& out) {
  if (!j.is_object()) return;
  for (const char* k : {"access_token", "refresh_token"}) {
    if (j.contains(k) && j[k].is_string() && j[k].get<std::string>().size() >= 8) {
      out.push_back(j[k].get<std::string>());
    }
  }
  if (j.contains("authed_user")) Tokens(j["authed_user"], out);
}

void ParseResponse(FuzzInput& in) {
  const OAuthProvider* p = World().oauth.providers.Find(kProviders[in.Byte() % 5]);
  int status = HttpStatus(in.Byte());
  std::string body = in.Rest();
  auto grant = TokenEndpoint::ParseResponse(*p, status, body);
  if (grant.ok()) {
    Check(status >= 200 && status <= 299, "a grant from a non-2xx answer");
    Check(!grant->access_token.empty(), "a grant without an access token");
    json meta = json::parse(grant->metadata_json, nullptr, false);
    Check(meta.is_object(), "grant metadata is not a JSON object");
    if (grant->user) Check(!grant->user->access_token.empty(), "a user grant without a token");
    if (grant->expires_in) Check(*grant->expires_in > 0, "a grant with expires_in <= 0");
    return;
  }
  if (!JsonNestingWithin(body)) return;
  json j = json::parse(body, nullptr, false);
  std::vector<std::string> tokens;
  Tokens(j, tokens);
  // (An error code may spell anything, a token too: that is no leak.)
  std::string error = j.is_object() && j.contains("error") ? j["error"].dump() : "";
  for (const auto& t : tokens) {
    if (error.find(t) != std::string::npos) continue;
    Check(grant.status().message().find(t) == std::string::npos, "an error message names a token");
  }
}

void Overrides(FuzzInput& in) {
  std::string text = in.Rest();
  auto providers = OAuthProviders::WithOverrides(text);
  if (!providers.ok()) return;
  for (const auto& p : providers->all()) {
    Check(providers->Find(p.id) == &p, "provider ids are not unique");
    for (const std::string& url : {p.AuthorizationUrl("common", "c"), p.TokenUrl("t", "c")}) {
      Check(url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0,
            "a provider URL is not http(s)");
    }
    if (p.revocation_url) {
      Check(p.revocation_url->rfind("http", 0) == 0, "a revocation URL is not http(s)");
    }
  }
}

std::string Substitute(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void Callback(FuzzInput& in) {
  OAuthWorld& w = World();
  std::string provider = kProviders[in.Byte() % 5];
  SessionRequest req;
  req.provider = provider;
  req.identifier_id = "user-1";
  req.redirect_uri = kRedirect;
  auto session = w.oauth.flows.CreateSession(w.account_id, req, kPublicUrl, w.ctx);
  Check(session.ok(), "CreateSession failed");
  auto url = w.oauth.flows.Authorize(provider, session->id, kPublicUrl);
  Check(url.ok(), "Authorize failed");
  auto query = FormDecode(url->substr(url->find('?') + 1));
  Check(query.has_value(), "the authorization URL's query does not decode");
  std::string state;
  for (const auto& [k, v] : *query) {
    if (k == "state") state = v;
  }
  Check(!state.empty(), "the authorization URL has no state");

  std::string issuer = w.oauth.providers.Find(provider)->Issuer("common").value_or("none");
  std::string text = in.Rest();
  FormFields fields = FormDecode(text).value_or(FormFields{{"state", text}});
  for (auto& [k, v] : fields) v = Substitute(Substitute(v, "@state", state), "@iss", issuer);
  auto location = w.oauth.flows.Callback(fields, kPublicUrl, w.ctx);
  std::optional<std::string> first_state;
  for (const auto& [k, v] : fields) {
    if (k == "state" && !first_state) first_state = v;
  }
  if (first_state != state) {
    Check(!location.ok(), "a callback with another state was accepted");
    return;
  }
  Check(location.ok(), "the callback for an open session was refused");
  Check(location->rfind(std::string(kRedirect) + "?status=", 0) == 0,
        "the callback goes somewhere other than the session's redirectUri");
  // The session is used up: the same callback again is refused.
  Check(!w.oauth.flows.Callback(fields, kPublicUrl, w.ctx).ok(), "a callback replayed");
}

}  // namespace
}  // namespace latchkey::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latchkey::fuzz;
  FuzzInput in(data, size);
  switch (in.Byte() % 3) {
    case 0:
      ParseResponse(in);
      break;
    case 1:
      Overrides(in);
      break;
    case 2:
      Callback(in);
      break;
  }
  return 0;
}
