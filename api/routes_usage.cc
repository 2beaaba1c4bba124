// Usage rollups and daily call limits of the calling account.
#include "api/app.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/params.h"
#include "api/responses.h"
#include "api/schemas/usage.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

nlohmann::json ToJson(const UsageRow& r) {
  const UsageCounts& c = r.counts;
  return {{"kind", r.key.kind},
          {"subject", r.key.subject},
          {"granularity", r.granularity},
          {"bucket", FormatIso8601(FromUnix(r.bucket))},
          {"calls", c.calls},
          {"denied", c.denied},
          {"errors4xx", c.errors_4xx},
          {"errors5xx", c.errors_5xx},
          {"failures", c.failures},
          {"bytesIn", c.bytes_in},
          {"bytesOut", c.bytes_out},
          {"latencyP50Ms", UsageService::LatencyPercentileMs(c, 0.50)},
          {"latencyP95Ms", UsageService::LatencyPercentileMs(c, 0.95)}};
}

nlohmann::json ToJson(const UsageLimitView& v) {
  nlohmann::json out = {{"maxCallsPerDay", v.limit.max_calls_per_day}, {"usedToday", v.used_today}};
  out[v.limit.kind == "credential" ? "credential" : "apiKeyId"] = v.limit.subject;
  return out;
}

// A usage cursor's id is kind, this separator, subject (a subject may hold
// any other character).
constexpr char kPositionSeparator = '\x1f';

Result<UsagePosition> UsagePositionOf(const PageKey& key) {
  size_t sep = key.id.find(kPositionSeparator);
  if (sep == std::string::npos) {
    return InvalidArgument("query parameter cursor must be a nextCursor this list answered");
  }
  return UsagePosition{key.time, key.id.substr(0, sep), key.id.substr(sep + 1)};
}

Result<HttpResponse> GetUsage(const UsageRouteDeps& d, RequestContext& ctx) {
  UsageQuery q;
  if (auto credential = ctx.request.Query("credential")) {
    q.kind = "credential";
    q.subject = *credential;
  }
  if (auto kind = ctx.request.Query("kind")) q.kind = *kind;
  if (auto subject = ctx.request.Query("subject")) q.subject = *subject;
  if (auto granularity = ctx.request.Query("granularity")) q.granularity = *granularity;
  ASSIGN_OR_RETURN(q.from, QueryTime(ctx.request, "from"));
  ASSIGN_OR_RETURN(q.to, QueryTime(ctx.request, "to"));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  if (page.after) {
    ASSIGN_OR_RETURN(q.after, UsagePositionOf(*page.after));
  }
  q.limit = page.limit + 1;
  // Newest bucket first, then kind and subject descending; paged in the store.
  ASSIGN_OR_RETURN(auto rows, d.usage.Query(ctx.account_id(), q));
  std::optional<PageKey> next;
  if (rows.size() > static_cast<size_t>(page.limit)) {
    rows.resize(page.limit);
    next = PageKey{rows.back().bucket,
                   rows.back().key.kind + kPositionSeparator + rows.back().key.subject};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rows) list.push_back(ToJson(r));
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> ListLimits(const UsageRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto limits, d.usage.Limits(ctx.account_id()));
  // By kind, then subject (a limit is a setting, not an event).
  auto key = [](const UsageLimitView& v) {
    return PageKey{0, v.limit.kind + ":" + v.limit.subject};
  };
  std::optional<PageKey> next;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& l : Paginate(std::move(limits), page, key, ByIdAscending, &next)) {
    list.push_back(ToJson(l));
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> PutLimit(const UsageRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(ctx.request.body, {"credential", "apiKeyId", "maxCallsPerDay"}));
  ASSIGN_OR_RETURN(auto credential, body.OptionalString("credential"));
  ASSIGN_OR_RETURN(auto key_id, body.OptionalString("apiKeyId"));
  if (credential.has_value() == key_id.has_value()) {
    return InvalidArgument("name either credential or apiKeyId");
  }
  if (!body.Has("maxCallsPerDay"))
    return InvalidArgument("maxCallsPerDay is required (null removes)");
  ASSIGN_OR_RETURN(auto max, body.OptionalInt("maxCallsPerDay", 1, int64_t{1} << 40, "calls"));
  std::string kind = credential ? "credential" : "api_key";
  std::string subject = credential ? *credential : *key_id;
  RETURN_IF_ERROR(d.usage.SetLimit(ctx.account_id(), kind, subject, max, ctx.audit));
  nlohmann::json out = {{"maxCallsPerDay", max ? nlohmann::json(*max) : nlohmann::json(nullptr)}};
  out[credential ? "credential" : "apiKeyId"] = subject;
  return JsonResponse(200, out);
}

const RouteRow<UsageRouteDeps> kUsageRoutes[] = {
    {{"GET", "/usage", AuthKind::kApiKey, scopes::kCredentialsRead, kBlocking, GetUsage},
     {"Calls, errors, bytes and latency per credential, API key, MCP tool or OAuth token, by hour "
      "or day",
      "usage",
      "",
      schemas::kUsageList,
      200,
      {"credential", "kind", "subject", "granularity", "from", "to"}}},
    {{"GET", "/usage/limits", AuthKind::kApiKey, scopes::kCredentialsRead, kBlocking, ListLimits},
     {"The account's daily call limits and what was used of them today", "usage", "",
      schemas::kUsageLimitList}},
    {{"PUT", "/usage/limits", AuthKind::kApiKey, scopes::kCredentialsWrite, kBlocking, PutLimit},
     {"Set (or with null remove) a credential's or API key's daily proxy call limit", "usage",
      schemas::kPutUsageLimitRequest, schemas::kUsageLimit}},
};

}  // namespace

void AddUsageRoutes(Router& router, const UsageRouteDeps& deps) {
  AddRoutes(router, deps, kUsageRoutes);
}

}  // namespace latchkey
