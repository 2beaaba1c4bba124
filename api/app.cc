#include "api/app.h"

#include <exception>

#include "api/responses.h"

namespace latchkey {
namespace {

// "Bearer <token>" -> token; scheme is case-insensitive.
std::optional<std::string> BearerToken(const HttpRequest& request) {
  auto header = request.Header("Authorization");
  if (!header || header->size() < 8) return std::nullopt;
  std::string scheme = header->substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return std::nullopt;
  std::string token = header->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

App::App(AppServices services, AppOptions options)
    : services_(services), options_(std::move(options)) {
  AddSystemRoutes(router_, services_, options_);
  AddAdminRoutes(router_, services_);
  AddApiKeyRoutes(router_, services_);
  AddAuditRoutes(router_, services_);
  AddCertificateRoutes(router_, services_);
  AddTokenRoutes(router_, services_, options_);
  AddJwksRoutes(router_, services_, options_);
  AddCredentialRoutes(router_, services_);
  AddProxyRoutes(router_, services_);
  AddOAuthRoutes(router_, services_, options_);
}

Result<HttpResponse> App::Dispatch(HttpRequest& request) {
  Router::Match match = router_.Find(request.method, request.path);
  switch (match.kind) {
    case Router::MatchKind::kNotFound:
      return ErrorResponse(404, "NOT_FOUND", "no route for " + request.method + " " + request.path);
    case Router::MatchKind::kBadPath:
      return ErrorResponse(400, "BAD_REQUEST", "malformed percent-encoding in the path");
    case Router::MatchKind::kMethodNotAllowed: {
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                                     "method " + request.method + " is not allowed here");
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    case Router::MatchKind::kFound: break;
  }
  const Route& route = *match.route;
  request.path_params = std::move(match.params);
  if (request.body.size() > options_.max_body_bytes) {
    return PayloadTooLarge("request body exceeds " + std::to_string(options_.max_body_bytes) +
                           " bytes");
  }
  RequestContext ctx{request, std::nullopt, AuditContext{"", request.request_id,
                                                         request.client_address}};
  if (route.auth != AuthKind::kPublic) {
    auto token = BearerToken(request);
    if (!token) return Unauthenticated("missing or invalid API key");
    if (route.auth == AuthKind::kAdmin) {
      if (!services_.admin_key.Verify(*token)) return Unauthenticated("invalid admin key");
      ctx.audit.actor = "admin";
    } else {
      ASSIGN_OR_RETURN(Principal principal, services_.api_keys.Authenticate(*token, ctx.audit));
      ctx.audit.actor = principal.key_id;
      if (!route.scope.empty() && !principal.HasScope(route.scope)) {
        services_.api_keys.RecordScopeDenied(principal, route.scope, ctx.audit);
        return PermissionDenied("this API key lacks the '" + route.scope + "' scope");
      }
      ctx.principal = std::move(principal);
    }
  }
  return route.handler(ctx);
}

HttpResponse App::Handle(HttpRequest& request) {
  try {
    Result<HttpResponse> result = Dispatch(request);
    if (result.ok()) return std::move(result).value();
    const Status& s = result.status();
    if (HttpStatusFor(s.code()) >= 500) {
      services_.logger.Error("request_failed", {{"request_id", request.request_id},
                                                {"status", s.ToString()}});
    }
    return ErrorResponse(s);
  } catch (const std::exception& e) {
    services_.logger.Error("handler_exception",
                           {{"request_id", request.request_id}, {"what", e.what()}});
  } catch (...) {
    services_.logger.Error("handler_exception",
                           {{"request_id", request.request_id}, {"what", "unknown"}});
  }
  return ErrorResponse(500, "INTERNAL", "internal error");
}

}  // namespace latchkey
