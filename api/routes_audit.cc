// Audit log reading and verification: the account's own chain, and the
// system chain for the operator.
#include "api/app.h"
#include "api/json_views.h"
#include "api/pagination.h"
#include "api/params.h"
#include "api/responses.h"
#include "api/schemas/audit.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

Result<HttpResponse> ListEvents(const AuditRouteDeps& d, const HttpRequest& request,
                                const std::string& chain) {
  AuditFilter filter;
  filter.account_id = chain;
  filter.action = request.Query("action");
  filter.resource = request.Query("resource");
  ASSIGN_OR_RETURN(filter.since, QueryTime(request, "since"));
  ASSIGN_OR_RETURN(filter.until, QueryTime(request, "until"));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(request));
  filter.limit = page.limit;
  if (page.after) filter.before_seq = page.after->time;
  // Synced: the records of every proxy call answered so far are in.
  ASSIGN_OR_RETURN(AuditPage result, d.audit_writer.List(filter));
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : result.events) events.push_back(ToJson(e));
  std::optional<PageKey> next;
  if (result.next_cursor) next = PageKey{*result.next_cursor, ""};
  return JsonResponse(200, ListBody(page, std::move(events), next));
}

Result<HttpResponse> VerifyChain(const AuditRouteDeps& d, const std::string& chain) {
  ASSIGN_OR_RETURN(AuditVerification v, d.audit_writer.Verify(chain));
  nlohmann::json out = {{"ok", v.ok}, {"count", v.count}};
  if (!v.ok) {
    out["brokenEvent"] = ToJson(*v.first_broken);
    out["reason"] = v.reason;
  }
  return JsonResponse(200, out);
}

Result<HttpResponse> ListAccountEvents(const AuditRouteDeps& d, RequestContext& ctx) {
  return ListEvents(d, ctx.request, ctx.account_id());
}

Result<HttpResponse> VerifyAccountChain(const AuditRouteDeps& d, RequestContext& ctx) {
  return VerifyChain(d, ctx.account_id());
}

Result<HttpResponse> ListSystemEvents(const AuditRouteDeps& d, RequestContext& ctx) {
  return ListEvents(d, ctx.request, kSystemChain);
}

Result<HttpResponse> VerifySystemChain(const AuditRouteDeps& d, RequestContext&) {
  return VerifyChain(d, kSystemChain);
}

// The query parameters of both event lists.
const std::vector<std::string> kFilters = {"action", "resource", "since",
                                           "until",  "limit",    "cursor"};

const RouteRow<AuditRouteDeps> kAuditRoutes[] = {
    {{"GET", "/audit-events", AuthKind::kApiKey, scopes::kAuditRead, kBlocking, ListAccountEvents},
     {"List the account's audit events, newest first", "audit", "", schemas::kAuditEventPage, 200,
      kFilters}},
    {{"GET", "/audit-events/verify", AuthKind::kApiKey, scopes::kAuditRead, kBlocking,
      VerifyAccountChain},
     {"Recompute the account's audit hash chain", "audit", "", schemas::kAuditVerification}},
    {{"GET", "/admin/audit-events", AuthKind::kAdmin, "", kBlocking, ListSystemEvents},
     {"List system audit events (account deletions)", "admin", "", schemas::kAuditEventPage, 200,
      kFilters}},
    {{"GET", "/admin/audit-events/verify", AuthKind::kAdmin, "", kBlocking, VerifySystemChain},
     {"Recompute the system audit hash chain", "admin", "", schemas::kAuditVerification}},
};

}  // namespace

void AddAuditRoutes(Router& router, const AuditRouteDeps& deps) {
  AddRoutes(router, deps, kAuditRoutes);
}

}  // namespace latchkey
