// Managed signing: JWTs signed with the account's current managed key, and
// their verification.
#include "api/app.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

Result<TokenRequest> ParseTokenRequest(const std::string& text, int64_t max_lifetime) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(text, {"claims", "expiresIn", "audience", "subject"}));
  TokenRequest request;
  const nlohmann::json& json = body.json();
  if (body.Has("claims") && !json["claims"].is_null()) {
    if (!json["claims"].is_object()) return InvalidArgument("claims must be an object");
    request.claims = json["claims"];
  }
  ASSIGN_OR_RETURN(request.expires_in, body.OptionalInt("expiresIn", 1, max_lifetime));
  if (body.Has("audience") && !json["audience"].is_null()) request.audience = json["audience"];
  ASSIGN_OR_RETURN(request.subject, body.OptionalString("subject"));
  return request;
}

}  // namespace

std::string AccountIssuer(const AppOptions& options, const std::string& account_id) {
  return options.public_url + "/accounts/" + account_id;
}

void AddTokenRoutes(Router& router, AppServices& s, const AppOptions& options) {
  router.Add(NonBlocking(
      {"POST",
       "/tokens",
       AuthKind::kApiKey,
       scopes::kTokensSign,
       [&s, &options](RequestContext& ctx) -> Result<HttpResponse> {
         int64_t max_lifetime = s.certificates.options().max_token_lifetime.count();
         ASSIGN_OR_RETURN(TokenRequest request, ParseTokenRequest(ctx.request.body, max_lifetime));
         ASSIGN_OR_RETURN(
             SignedToken signed_token,
             s.tokens.Sign(ctx.account_id(), AccountIssuer(options, ctx.account_id()), request));
         // Issuance is logged, not hash-chained: one audit transaction
         // (an fsync) per token would cap signing far below the RSA rate.
         if (s.logger.Enabled(LogLevel::kInfo)) {
           s.logger.Info("token_signed", {{"request_id", ctx.audit.request_id},
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
       },
       {"Sign a JWT with the account's current managed key", "tokens",
        R"({"type":"object","properties":{"claims":{"type":"object"},
                 "expiresIn":{"type":"integer","description":"seconds, default 900"},
                 "audience":{"oneOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]},
                 "subject":{"type":"string"}}})",
        R"({"type":"object","properties":{"token":{"type":"string"},"kid":{"type":"string"},"jti":{"type":"string"},"expiresAt":{"type":"string","format":"date-time"}}})"}}));

  router.Add(NonBlocking(
      {"POST",
       "/tokens/verify",
       AuthKind::kApiKey,
       scopes::kTokensSign,
       [&s, &options](RequestContext& ctx) -> Result<HttpResponse> {
         ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(ctx.request.body, {"token", "audience"}));
         ASSIGN_OR_RETURN(std::string token, body.RequiredString("token"));
         ASSIGN_OR_RETURN(auto audience, body.OptionalString("audience"));
         ASSIGN_OR_RETURN(
             TokenVerification v,
             s.tokens.Verify(ctx.account_id(), AccountIssuer(options, ctx.account_id()), token,
                             audience));
         if (!v.valid) return JsonResponse(200, {{"valid", false}, {"reason", v.reason}});
         return JsonResponse(
             200,
             {{"valid", true}, {"claims", v.claims}, {"kid", v.kid}, {"algorithm", v.algorithm}});
       },
       {"Verify a JWT against the account's own keys", "tokens",
        R"({"type":"object","required":["token"],"properties":{"token":{"type":"string"},"audience":{"type":"string"}}})",
        R"({"type":"object","properties":{"valid":{"type":"boolean"},"reason":{"type":"string"},"claims":{"type":"object"},"kid":{"type":"string"},"algorithm":{"type":"string"}}})"}}));
}

}  // namespace latchkey
