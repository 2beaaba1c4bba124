// Public key discovery for third parties, no credentials: one key by kid,
// an account's JWK Set, and its OpenID discovery document. The JWKS is
// served from the account's in-memory snapshot, already encoded.
#include "api/app.h"
#include "api/responses.h"
#include "api/schemas/jwks.h"
#include "common/ids.h"

namespace latchkey {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §13.1.2: weak comparison against each listed tag, or "*".
bool NoneMatch(const std::optional<std::string>& header, const std::string& etag) {
  if (!header) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// The account's snapshot; NotFound for an account that does not exist.
Result<std::shared_ptr<const KeySnapshot>> AccountSnapshot(const JwksRouteDeps& d,
                                                           const std::string& account_id) {
  if (!IsValidId(account_id, "acct")) return NotFound("account not found");
  ASSIGN_OR_RETURN(auto snap, d.certificates.Snapshot(account_id));
  // Version 0: no certificate ever; tell an empty account from no account.
  if (snap->version == 0) RETURN_IF_ERROR(d.accounts.Get(account_id).status());
  return snap;
}

void AddCaching(HttpResponse& r, int64_t max_age, const std::string& etag) {
  r.headers.emplace_back("Cache-Control", "public, max-age=" + std::to_string(max_age));
  r.headers.emplace_back("ETag", etag);
}

Result<HttpResponse> PublicKeyByKid(const JwksRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(Certificate cert, d.certificates.FindPublic(ctx.param("kid")));
  return JsonResponse(200, {{"kid", cert.kid},
                            {"publicKey", cert.public_key_pem},
                            {"algorithm", AlgorithmName(cert.algorithm)}});
}

Result<HttpResponse> JwkSet(const JwksRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto snap, AccountSnapshot(d, ctx.param("accountId")));
  HttpResponse r;
  r.content_type = "application/jwk-set+json";
  AddCaching(r, d.certificates.JwksMaxAge(*snap), snap->etag);
  if (NoneMatch(ctx.request.Header("If-None-Match"), snap->etag)) {
    r.status = 304;
  } else {
    r.body = snap->jwks_json;
  }
  return r;
}

Result<HttpResponse> OpenIdConfiguration(const JwksRouteDeps& d, RequestContext& ctx) {
  const std::string& account_id = ctx.param("accountId");
  ASSIGN_OR_RETURN(auto snap, AccountSnapshot(d, account_id));
  std::vector<std::string> algs = snap->Algorithms();
  if (algs.empty()) algs = {"RS256"};
  std::string issuer = AccountIssuer(d.options, account_id);
  HttpResponse r = JsonResponse(200, {{"issuer", issuer},
                                      {"jwks_uri", issuer + "/.well-known/jwks.json"},
                                      {"id_token_signing_alg_values_supported", algs},
                                      {"response_types_supported", {"id_token"}},
                                      {"subject_types_supported", {"public"}}});
  r.headers.emplace_back("Cache-Control",
                         "public, max-age=" + std::to_string(d.certificates.JwksMaxAge(*snap)));
  return r;
}

// All answered from the accounts' in-memory snapshots.
const RouteRow<JwksRouteDeps> kJwksRoutes[] = {
    {{"GET", "/certificates/public/{kid}", AuthKind::kPublic, "", kNonBlocking, PublicKeyByKid},
     {"A verifiable public key by kid (404 once revoked or expired)", "public", "",
      schemas::kPublicKey}},
    {{"GET", "/accounts/{accountId}/.well-known/jwks.json", AuthKind::kPublic, "", kNonBlocking,
      JwkSet},
     {"The account's JWK Set (RFC 7517): active keys and keys inside their overlap", "public", "",
      schemas::kJwks}},
    {{"GET", "/accounts/{accountId}/.well-known/openid-configuration", AuthKind::kPublic, "",
      kNonBlocking, OpenIdConfiguration},
     {"OpenID discovery document pointing at the account's JWKS", "public", "",
      schemas::kOpenIdConfiguration}},
};

}  // namespace

void AddJwksRoutes(Router& router, const JwksRouteDeps& deps) {
  AddRoutes(router, deps, kJwksRoutes);
}

}  // namespace latchkey
