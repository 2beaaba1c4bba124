// Health, readiness and the OpenAPI document. Public.
#include <strings.h>

#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/openapi.h"
#include "api/responses.h"
#include "api/schemas/system.h"
#include "common/crypto.h"
#include "common/metrics.h"

namespace latchkey {
namespace {

Result<HttpResponse> Health(const SystemRouteDeps& d, RequestContext&) {
  if (d.options.dev_mode) return JsonResponse(200, {{"status", "ok"}, {"mode", "DEV MODE"}});
  return JsonResponse(200, {{"status", "ok"}});
}

Result<HttpResponse> Readiness(const SystemRouteDeps& d, RequestContext&) {
  Status ping = d.db.Ping();
  if (!ping.ok()) return ErrorResponse(503, "UNAVAILABLE", "database is not reachable");
  return JsonResponse(200, {{"status", "ready"}, {"database", "ok"}});
}

HttpResponse MetricsResponse() {
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = Metrics::Default().Render();
  return r;
}

// Served on the main listener only with --metrics-token (a bearer token,
// compared in constant time); --metrics-listen serves it without one.
Result<HttpResponse> MetricsText(const SystemRouteDeps& d, RequestContext& ctx) {
  const std::string& token = d.options.metrics_token;
  if (token.empty()) {
    return NotFound(
        "metrics are not served on this listener (see --metrics-token and "
        "--metrics-listen)");
  }
  auto auth = ctx.request.Header("Authorization");
  bool bearer = auth && auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0;
  if (!bearer || !ConstantTimeEquals(auth->substr(7), token)) {
    HttpResponse r = ErrorResponse(401, "UNAUTHORIZED", "missing or invalid metrics token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  return MetricsResponse();
}

Result<HttpResponse> OpenApiDocument(const SystemRouteDeps& d, RequestContext&) {
  HttpResponse r;
  r.status = 200;
  r.body = d.openapi.Get(d.router, d.options.public_url);
  return r;
}

const RouteRow<SystemRouteDeps> kSystemRoutes[] = {
    {{"GET", "/healthz", AuthKind::kPublic, "", kNonBlocking, Health},
     {"Liveness: the process is up", "system", "", schemas::kHealth}},
    {{"GET", "/readyz", AuthKind::kPublic, "", kBlocking, Readiness},
     {"Readiness: the database answers", "system", "", schemas::kReadiness}},
    {{"GET", "/openapi.json", AuthKind::kPublic, "", kNonBlocking, OpenApiDocument},
     {"This OpenAPI 3.1 document", "system", "", schemas::kOpenApiDocument}},
    {{"GET", "/metrics", AuthKind::kPublic, "", kNonBlocking, MetricsText},
     {"Prometheus metrics (text format 0.0.4); needs the --metrics-token bearer token", "system",
      "", ""}},
};

}  // namespace

void AddSystemRoutes(Router& router, const SystemRouteDeps& deps) {
  AddRoutes(router, deps, kSystemRoutes);
}

}  // namespace latchkey
