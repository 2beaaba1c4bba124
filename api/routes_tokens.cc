// Managed signing: JWTs signed with the account's current managed key, and
// their verification.
#include "api/app.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/schemas/tokens.h"
#include "services/accounts/scopes.h"

namespace latchkey {

Result<TokenRequest> ParseTokenRequest(const std::string& text, int64_t max_lifetime) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(text, {"claims", "expiresIn", "audience", "subject"}));
  TokenRequest request;
  const nlohmann::json& json = body.json();
  if (body.Has("claims") && !json["claims"].is_null()) {
    if (!json["claims"].is_object()) return InvalidArgument("claims must be an object");
    request.claims = json["claims"];
  }
  ASSIGN_OR_RETURN(request.expires_in, body.OptionalInt("expiresIn", 1, max_lifetime, "seconds"));
  if (body.Has("audience") && !json["audience"].is_null()) request.audience = json["audience"];
  ASSIGN_OR_RETURN(request.subject, body.OptionalString("subject"));
  return request;
}

namespace {

Result<HttpResponse> SignToken(const TokenRouteDeps& d, RequestContext& ctx) {
  int64_t max_lifetime = d.certificates.options().max_token_lifetime.count();
  ASSIGN_OR_RETURN(TokenRequest request, ParseTokenRequest(ctx.request.body, max_lifetime));
  ASSIGN_OR_RETURN(
      SignedToken signed_token,
      d.tokens.Sign(ctx.account_id(), AccountIssuer(d.options, ctx.account_id()), request));
  // Issuance is logged, not hash-chained: one audit transaction (an fsync)
  // per token would cap signing far below the RSA rate.
  if (d.logger.Enabled(LogLevel::kInfo)) {
    d.logger.Info("token_signed", {{"request_id", ctx.audit.request_id},
                                   {"account", ctx.account_id()},
                                   {"api_key", ctx.audit.actor},
                                   {"kid", signed_token.kid},
                                   {"jti", signed_token.jti},
                                   {"exp", ToUnix(signed_token.expires_at)}});
  }
  return JsonResponse(200, {{"token", signed_token.token},
                            {"kid", signed_token.kid},
                            {"jti", signed_token.jti},
                            {"expiresAt", FormatIso8601(signed_token.expires_at)}});
}

Result<HttpResponse> VerifyToken(const TokenRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"token", "audience"}));
  ASSIGN_OR_RETURN(std::string token, body.RequiredString("token"));
  ASSIGN_OR_RETURN(auto audience, body.OptionalString("audience"));
  ASSIGN_OR_RETURN(TokenVerification v,
                   d.tokens.Verify(ctx.account_id(), AccountIssuer(d.options, ctx.account_id()),
                                   token, audience));
  if (!v.valid) return JsonResponse(200, {{"valid", false}, {"reason", v.reason}});
  return JsonResponse(
      200, {{"valid", true}, {"claims", v.claims}, {"kid", v.kid}, {"algorithm", v.algorithm}});
}

// Both answer from the in-memory key snapshot.
const RouteRow<TokenRouteDeps> kTokenRoutes[] = {
    {{"POST", "/tokens", AuthKind::kApiKey, scopes::kTokensSign, kNonBlocking, SignToken},
     {"Sign a JWT with the account's current managed key", "tokens", schemas::kSignTokenRequest,
      schemas::kSignedToken}},
    {{"POST", "/tokens/verify", AuthKind::kApiKey, scopes::kTokensSign, kNonBlocking, VerifyToken},
     {"Verify a JWT against the account's own keys", "tokens", schemas::kVerifyTokenRequest,
      schemas::kTokenVerification}},
};

}  // namespace

std::string AccountIssuer(const AppOptions& options, const std::string& account_id) {
  return options.public_url + "/accounts/" + account_id;
}

void AddTokenRoutes(Router& router, const TokenRouteDeps& deps) {
  AddRoutes(router, deps, kTokenRoutes);
}

}  // namespace latchkey
