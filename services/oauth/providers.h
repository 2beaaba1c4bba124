// The OAuth providers Latchkey runs authorization-code flows against: five
// built in (google, microsoft, slack, github, notion) and any number of
// generic "oauth2" entries, with an operator's providers file able to
// override every field of a built-in entry and to add generic ones.
//
// Each entry says where to send the browser and the code, how the client
// authenticates at the token endpoint, how the token response reads (the
// providers differ: Slack and GitHub answer errors with HTTP 200, Slack
// nests a user token, Notion returns workspace metadata), and which API
// hosts the tokens may be sent to through the proxy.
//
// Thread-safety: an OAuthProviders is immutable once built.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace latchkey {

enum class ClientAuth { kBody, kBasic };  // client_id/secret in the form, or HTTP Basic
enum class BodyFormat { kForm, kJson };   // token request body
enum class TokenDialect {
  kStandard,  // RFC 6749 §5: errors are 4xx with "error"
  kSlack,     // HTTP 200 with "ok": false; bot token plus "authed_user" token
  kGithub,    // HTTP 200 with "error"; needs Accept: application/json
  kNotion,    // workspace_id / workspace_name / bot_id as metadata
};

// How the provider's revocation endpoint wants to be called.
enum class RevocationDialect {
  kRfc7009,  // POST token + token_type_hint, the client authenticated as for tokens
  kSlack,    // POST token, authenticated by that token itself; "ok": false when dead
  kGithub,   // DELETE {"access_token"} with HTTP Basic; 204, or 404/422 when unknown
  kNotion,   // POST JSON {"token"} (the access token) with HTTP Basic and Notion-Version
};

struct OAuthProvider {
  std::string id;    // "google", or the providers file's key
  std::string type;  // "google", ..., or "oauth2"
  // The endpoint URLs may contain {tenant} and {clientId}, filled from
  // the account's registration.
  std::string authorization_url;
  std::string token_url;
  std::optional<std::string> revocation_url;
  RevocationDialect revocation_dialect = RevocationDialect::kRfc7009;
  std::vector<std::string> scopes;  // requested when a session names none
  std::string scope_separator = " ";
  std::vector<std::pair<std::string, std::string>> authorization_params;  // always added
  ClientAuth client_auth = ClientAuth::kBody;
  BodyFormat body_format = BodyFormat::kForm;
  bool pkce = true;  // S256
  TokenDialect dialect = TokenDialect::kStandard;
  std::vector<std::string> api_hosts;  // where the proxy may send its tokens
  // Where calls by path (/proxy/oauth/{tokenId}/{path}) go: an absolute
  // http(s) URL without query; empty when the provider has none.
  std::string api_base_url;
  // Headers the provider's API needs, sent on proxied calls unless the
  // caller sent its own (Notion-Version; GitHub's Accept and User-Agent).
  std::vector<std::pair<std::string, std::string>> api_headers;
  // The authorization server's issuer identifier (RFC 9207); an `iss` in
  // the callback must equal it. May contain {tenant}.
  std::optional<std::string> issuer;
  bool uses_tenant = false;  // Microsoft: {tenant} per account, default "common"

  // The URLs with {tenant} and {clientId} filled in (percent-encoded).
  std::string AuthorizationUrl(std::string_view tenant, std::string_view client_id) const;
  std::string TokenUrl(std::string_view tenant, std::string_view client_id) const;
  std::optional<std::string> RevocationUrl(std::string_view tenant,
                                           std::string_view client_id) const;
  std::optional<std::string> Issuer(std::string_view tenant) const;
};

class OAuthProviders {
 public:
  // The built-in entries only.
  static OAuthProviders BuiltIn();
  // The built-in entries with a providers file's JSON applied:
  //   {"google": {"tokenUrl": "..."}, "acme": {"type": "oauth2", ...}}
  // Fields left out keep the built-in values; a new entry must be of type
  // "oauth2" and name its authorizationUrl and tokenUrl. InvalidArgument
  // (naming the entry and field) for anything else, including URLs that are
  // not absolute http(s) and unknown fields.
  static Result<OAuthProviders> WithOverrides(std::string_view json);

  const OAuthProvider* Find(std::string_view id) const;
  const std::vector<OAuthProvider>& all() const { return providers_; }
  // The ids a providers file named, in its order: built-in ones it
  // changed and new ones it added.
  const std::vector<std::string>& from_file() const { return from_file_; }

 private:
  std::vector<OAuthProvider> providers_;
  std::vector<std::string> from_file_;
};

}  // namespace latchkey
