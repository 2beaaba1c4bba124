// Audit log reading and verification: the account's own chain, and the
// system chain for the operator.
#include "api/app.h"
#include "api/json_views.h"
#include "api/params.h"
#include "api/responses.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

Result<HttpResponse> ListEvents(AppServices& s, const HttpRequest& request,
                                const std::string& chain) {
  AuditFilter filter;
  filter.account_id = chain;
  filter.action = request.Query("action");
  filter.resource = request.Query("resource");
  ASSIGN_OR_RETURN(filter.since, QueryTime(request, "since"));
  ASSIGN_OR_RETURN(filter.until, QueryTime(request, "until"));
  ASSIGN_OR_RETURN(auto limit, QueryInt(request, "limit", 1, 1000));
  if (limit) filter.limit = static_cast<int>(*limit);
  ASSIGN_OR_RETURN(filter.before_seq, QueryInt(request, "cursor", 1, INT64_MAX));
  // Synced: the records of every proxy call answered so far are in.
  ASSIGN_OR_RETURN(AuditPage page, s.audit_writer.List(filter));
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : page.events) events.push_back(ToJson(e));
  nlohmann::json out = {{"events", events}};
  out["nextCursor"] = page.next_cursor ? nlohmann::json(std::to_string(*page.next_cursor))
                                       : nlohmann::json(nullptr);
  return JsonResponse(200, out);
}

Result<HttpResponse> VerifyChain(AppServices& s, const std::string& chain) {
  ASSIGN_OR_RETURN(AuditVerification v, s.audit_writer.Verify(chain));
  nlohmann::json out = {{"ok", v.ok}, {"count", v.count}};
  if (!v.ok) {
    out["brokenEvent"] = ToJson(*v.first_broken);
    out["reason"] = v.reason;
  }
  return JsonResponse(200, out);
}

const char kListSchema[] =
    R"({"type":"object","properties":{"events":{"type":"array","items":{"$ref":"#/components/schemas/AuditEvent"}},"nextCursor":{"type":["string","null"]}}})";
const char kVerifySchema[] =
    R"({"type":"object","properties":{"ok":{"type":"boolean"},"count":{"type":"integer"},"reason":{"type":"string"},"brokenEvent":{"$ref":"#/components/schemas/AuditEvent"}}})";

}  // namespace

void AddAuditRoutes(Router& router, AppServices& s) {
  const std::vector<std::string> filters = {"action", "resource", "since",
                                            "until",  "limit",    "cursor"};
  router.Add(
      {"GET",
       "/audit-events",
       AuthKind::kApiKey,
       scopes::kAuditRead,
       [&s](RequestContext& ctx) { return ListEvents(s, ctx.request, ctx.account_id()); },
       {"List the account's audit events, newest first", "audit", "", kListSchema, 200, filters}});
  router.Add({"GET",
              "/audit-events/verify",
              AuthKind::kApiKey,
              scopes::kAuditRead,
              [&s](RequestContext& ctx) { return VerifyChain(s, ctx.account_id()); },
              {"Recompute the account's audit hash chain", "audit", "", kVerifySchema}});
  router.Add(
      {"GET",
       "/admin/audit-events",
       AuthKind::kAdmin,
       "",
       [&s](RequestContext& ctx) { return ListEvents(s, ctx.request, kSystemChain); },
       {"List system audit events (account deletions)", "admin", "", kListSchema, 200, filters}});
  router.Add({"GET",
              "/admin/audit-events/verify",
              AuthKind::kAdmin,
              "",
              [&s](RequestContext&) { return VerifyChain(s, kSystemChain); },
              {"Recompute the system audit hash chain", "admin", "", kVerifySchema}});
}

}  // namespace latchkey
