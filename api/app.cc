#include "api/app.h"

#include <algorithm>
#include <exception>

#include "api/dev_mode.h"
#include "api/dev_providers.h"
#include "api/idempotency.h"
#include "api/mcp_tools.h"
#include "api/responses.h"
#include "api/sdk_key.h"

namespace latchkey {
namespace {

// The caller's key, where the route takes it from.
Status MissingKey(AuthKind auth) {
  if (auth == AuthKind::kAdmin) {
    return Unauthenticated("missing admin key: send it as 'Authorization: Bearer …'");
  }
  if (auth == AuthKind::kSdkKey) {
    return Unauthenticated(
        "missing API key: send it as 'Authorization: Bearer lk_…' or where the provider's SDK"
        " puts its key (x-api-key, x-goog-api-key, api-key)");
  }
  return Unauthenticated("missing API key: send it as 'Authorization: Bearer lk_…'");
}

std::optional<std::string> CallerKey(const HttpRequest& request, AuthKind auth) {
  if (auto bearer = BearerToken(request)) return bearer;
  if (auth == AuthKind::kSdkKey) {
    if (auto key = SdkKey(request)) return key;
  }
  return std::nullopt;
}

}  // namespace

App::App(AppServices services, AppOptions options)
    : services_(services),
      options_(std::move(options)),
      mcp_(LatchkeyMcpTools({services.credentials, services.proxy, services.oauth_tokens,
                             services.tokens, services.certificates, services.logger, options_}),
           services.audit_writer, *services.clock),
      idempotency_(services.db, *services.clock) {
  AppServices& s = services_;
  AddSystemRoutes(router_, {s.db, router_, options_, openapi_});
  if (options_.dev_mode) {
    dev_providers_ = std::make_unique<DevProviders>(options_.public_url);
    AddDevRoutes(router_, *dev_providers_);
  }
  AddAdminRoutes(router_, {s.accounts, s.key_pool});
  AddApiKeyRoutes(router_, {s.api_keys, s.proxy});
  AddAuditRoutes(router_, {s.audit_writer});
  AddCertificateRoutes(router_, {s.certificates, *s.clock});
  AddTokenRoutes(router_, {s.certificates, s.tokens, s.logger, options_});
  AddJwksRoutes(router_, {s.certificates, s.accounts, options_});
  AddCredentialRoutes(router_, {s.credentials, s.health});
  AddProxyRoutes(router_, {s.proxy});
  AddWebhookRoutes(router_, {s.webhooks});
  AddUsageRoutes(router_, {s.usage});
  AddHealthRoutes(router_, {s.health, s.credentials, s.oauth_tokens});
  AddOAuthRoutes(router_,
                 {s.oauth_clients, s.oauth_flows, s.oauth_tokens, options_, s.health, *s.clock});
  AddMcpRoutes(router_, {mcp_, options_});
}

std::string ClientAddress(const std::string& peer, const std::optional<std::string>& forwarded_for,
                          const std::vector<Cidr>& trusted_proxies) {
  auto trusted = [&](std::string_view address) {
    auto ip = IpAddress::Parse(address);
    if (!ip) return false;
    return std::any_of(trusted_proxies.begin(), trusted_proxies.end(),
                       [&](const Cidr& c) { return c.Contains(*ip); });
  };
  if (!forwarded_for || !trusted(peer)) return peer;
  // Right to left: each hop added the address it saw; the first one a
  // trusted proxy did not add for another trusted proxy is the client.
  std::string_view list = *forwarded_for;
  std::string client = peer;
  while (!list.empty()) {
    size_t comma = list.rfind(',');
    std::string_view hop = list.substr(comma == std::string_view::npos ? 0 : comma + 1);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
    while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
    while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
    auto ip = IpAddress::Parse(hop);
    if (!ip) break;  // garbage: keep the last address we could trust
    client = ip->ToString();
    if (!trusted(client)) break;
  }
  return client;
}

std::string RateBucketAddress(const std::string& address) {
  auto ip = IpAddress::Parse(address);
  if (!ip || !ip->v6) return address;
  // One IPv6 client commonly holds a whole /64.
  for (int i = 8; i < 16; ++i) ip->bytes[i] = 0;
  return ip->ToString() + "/64";
}

std::optional<HttpResponse> App::Limited(const std::string& name, const RateLimit& limit,
                                         std::string_view message) {
  int64_t wait = limiter_.Take(name, limit, options_.steady_now());
  if (wait == 0) return std::nullopt;
  HttpResponse r = ErrorResponse(429, "RATE_LIMITED", message);
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  return r;
}

Status App::Authenticate(const Route& route, const std::string& token, RequestContext& ctx,
                         int64_t* retry_after, bool* needs_worker) {
  const RateLimit& failures = options_.rate_limits.auth_failures;
  auto now = options_.steady_now();
  // Only the caller's own address is throttled before its token is looked
  // at (that is what stops guessing); never a key id, which anyone may
  // send, or one client could lock any key out. Repeated failures against
  // one key are aggregated in its audit events instead.
  std::string bucket = "fail:" + RateBucketAddress(ctx.request.client_address);
  if (int64_t wait = limiter_.Peek(bucket, failures, now); wait > 0) {
    *retry_after = wait;
    return ResourceExhausted("too many failed authentications from this address");
  }
  Status result = Status::Ok();
  if (route.auth == AuthKind::kAdmin) {
    if (services_.admin_key.Verify(token)) {
      ctx.audit.actor = "admin";
    } else {
      result = Unauthenticated("invalid admin key");
    }
  } else {
    std::optional<Result<Principal>> found;
    if (needs_worker) {
      found = services_.api_keys.AuthenticateFromMemory(token, ctx.audit);
      if (!found) {
        *needs_worker = true;
        return Status::Ok();
      }
    } else {
      found = services_.api_keys.Authenticate(token, ctx.audit);
    }
    Result<Principal>& principal = *found;
    if (principal.ok()) {
      ctx.audit.actor = principal->key_id;
      ctx.principal = std::move(principal).value();
    } else {
      result = principal.status();
    }
  }
  if (result.code() == StatusCode::kUnauthenticated) limiter_.Take(bucket, failures, now);
  return result;
}

Result<HttpResponse> App::Dispatch(HttpRequest& request) {
  Router::Match match = router_.Find(request.method, request.path);
  switch (match.kind) {
    case Router::MatchKind::kNotFound:
      return ErrorResponse(404, "NOT_FOUND", "no route for " + request.method + " " + request.path);
    case Router::MatchKind::kBadPath:
      return ErrorResponse(400, "BAD_REQUEST", "malformed percent-encoding or UTF-8 in the path");
    case Router::MatchKind::kMethodNotAllowed: {
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                                     "method " + request.method + " is not allowed here");
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    case Router::MatchKind::kFound:
      break;
  }
  const Route& route = *match.route;
  request.route = route.pattern;
  request.path_params = std::move(match.params);
  if (request.body.size() > options_.max_body_bytes) {
    return PayloadTooLarge("request body exceeds " + std::to_string(options_.max_body_bytes) +
                           " bytes");
  }
  // The cheap refusals come before any queueing, so that a flood of them
  // cannot fill the worker pool's queue.
  if (route.auth == AuthKind::kPublic) {
    if (auto limited =
            Limited("ip:" + RateBucketAddress(request.client_address),
                    options_.rate_limits.per_address, "too many requests from this address")) {
      return *limited;
    }
  } else {
    if (!CallerKey(request, route.auth)) return MissingKey(route.auth);
    int64_t wait = limiter_.Peek("fail:" + RateBucketAddress(request.client_address),
                                 options_.rate_limits.auth_failures, options_.steady_now());
    if (wait > 0) {
      HttpResponse r =
          ErrorResponse(429, "RATE_LIMITED", "too many failed authentications from this address");
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return r;
    }
  }
  if (!services_.workers) return Invoke(route, request, nullptr);
  if (route.blocking) return Defer(route, request);
  // A route that answers from memory stays on the request thread unless
  // its caller's key must be read (or its last use written) first.
  bool needs_worker = false;
  Result<HttpResponse> response = Invoke(route, request, &needs_worker);
  if (needs_worker) return Defer(route, request);
  return response;
}

Result<HttpResponse> App::Invoke(const Route& route, HttpRequest& request, bool* needs_worker) {
  RequestContext ctx{request, std::nullopt,
                     AuditContext{"", request.request_id, request.client_address}};
  if (route.auth == AuthKind::kPublic) return route.handler(ctx);
  auto token = CallerKey(request, route.auth);
  if (!token) return MissingKey(route.auth);
  int64_t retry_after = 0;
  Status auth = Authenticate(route, *token, ctx, &retry_after, needs_worker);
  if (needs_worker && *needs_worker) return HttpResponse{};
  if (retry_after > 0) {
    HttpResponse r = ErrorResponse(429, "RATE_LIMITED", auth.message());
    r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return r;
  }
  RETURN_IF_ERROR(auth);
  if (ctx.principal) {
    const Principal& principal = *ctx.principal;
    if (auto limited = Limited("key:" + principal.key_id, options_.rate_limits.per_key,
                               "too many requests with this API key")) {
      return *limited;
    }
    if (!route.scope.empty() && !principal.HasScope(route.scope)) {
      services_.api_keys.RecordScopeDenied(principal, route.scope, ctx.audit);
      return PermissionDenied("this API key lacks the '" + route.scope + "' scope");
    }
  }
  if (route.doc.conditional) return RunConditional(route, ctx);
  if (CreatesResource(route.method, route.doc)) {
    std::string account = ctx.principal ? ctx.principal->account_id : "";
    std::string caller = ctx.principal ? ctx.principal->key_id : "admin";
    return RunIdempotent(idempotency_, services_.logger, account, caller, request,
                         [&] { return route.handler(ctx); });
  }
  return route.handler(ctx);
}

Result<HttpResponse> App::RunConditional(const Route& route, RequestContext& ctx) {
  // The resource's GET (the same path) is what its ETag is a digest of.
  const Route* reader = &route;
  if (route.method != "GET") {
    reader = router_.Find("GET", ctx.request.path).route;
    if (!reader) return Internal("no GET route for conditional " + route.pattern);
  }
  // The resource, named as the router decoded it (so that "/secrets/a" and
  // "/secrets/%61" are one resource).
  std::string resource = ctx.principal ? ctx.principal->account_id : "";
  resource += " " + reader->pattern;
  for (const auto& [name, value] : ctx.request.path_params) resource += "\n" + name + "=" + value;
  return conditional_.Run(
      resource, ctx.request, [&] { return reader->handler(ctx); },
      [&] { return route.handler(ctx); });
}

HttpResponse App::Defer(const Route& route, const HttpRequest& request) {
  // The worker owns its copy: the transport's request ends with this call.
  auto owned = std::make_shared<HttpRequest>(request);
  HttpResponse deferred;
  deferred.deferred = true;
  deferred.stream = [this, &route, owned](std::shared_ptr<ResponseStream> out) {
    bool queued = services_.workers->TrySubmit([this, &route, owned, out] {
      if (out->cancelled()) {
        // Shutting down: queued work is not started, only answered.
        HttpResponse gone = ErrorResponse(503, "UNAVAILABLE", "server is shutting down");
        gone.headers.emplace_back("Retry-After", "1");
        out->Respond(gone);
        out->End();
        return;
      }
      HttpResponse response = Guarded(*owned, [&] { return Invoke(route, *owned, nullptr); });
      if (!response.stream) {
        out->Respond(response);
        out->End();
        return;
      }
      if (!out->AdmitProxied()) {
        HttpResponse busy = ErrorResponse(503, "UNAVAILABLE", "too many streaming requests; retry");
        busy.headers.emplace_back("Retry-After", "1");
        out->Respond(busy);
        out->End();
        return;
      }
      try {
        response.stream(out);  // the proxy: it ends the stream itself
      } catch (const std::exception& e) {
        services_.logger.Error("stream_exception",
                               {{"request_id", owned->request_id}, {"what", e.what()}});
        out->Respond(ErrorResponse(500, "INTERNAL", "internal error"));
        out->End();
      }
    });
    if (!queued) {
      HttpResponse busy = ErrorResponse(503, "UNAVAILABLE", "the server is busy; retry");
      busy.headers.emplace_back("Retry-After", "1");
      out->Respond(busy);
      out->End();
    }
  };
  return deferred;
}

App::~App() = default;

HttpResponse App::Handle(HttpRequest& request) {
  if (!options_.trusted_proxies.empty()) {
    request.client_address = ClientAddress(
        request.client_address, request.Header("X-Forwarded-For"), options_.trusted_proxies);
  }
  return Guarded(request, [&] { return Dispatch(request); });
}

HttpResponse App::Guarded(const HttpRequest& request,
                          const std::function<Result<HttpResponse>()>& run) {
  try {
    Result<HttpResponse> result = run();
    if (result.ok()) return std::move(result).value();
    const Status& s = result.status();
    if (HttpStatusFor(s.code()) >= 500) {
      services_.logger.Error("request_failed",
                             {{"request_id", request.request_id}, {"status", s.ToString()}});
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
