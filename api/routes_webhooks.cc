// Webhook endpoints of the calling account, their deliveries, and the
// event types they subscribe to.
#include "api/app.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/params.h"
#include "api/responses.h"
#include "api/schemas/webhooks.h"
#include "services/accounts/scopes.h"
#include "services/events/event_types.h"

namespace latchkey {
namespace {

nlohmann::json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatIso8601(*t)) : nlohmann::json(nullptr);
}

// A Slack incoming-webhook URL is itself a credential: only its host and
// last four characters are shown.
std::string ShownUrl(const WebhookEndpoint& e) {
  if (e.format != WebhookFormat::kSlack) return e.url;
  size_t host_end = e.url.find('/', e.url.find("//") + 2);
  std::string head = e.url.substr(0, host_end);
  return head + "/…" + (e.url.size() > head.size() + 8 ? e.url.substr(e.url.size() - 4) : "");
}

nlohmann::json ToJson(const WebhookEndpoint& e) {
  return {{"id", e.id},
          {"url", ShownUrl(e)},
          {"description", e.description},
          {"events", e.events},
          {"format", std::string(WebhookFormatName(e.format))},
          {"enabled", e.enabled},
          {"disabledReason",
           e.disabled_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.disabled_reason)},
          {"failingSince", OptionalTime(e.failing_since)},
          {"previousSecretValidUntil", OptionalTime(e.previous_until)},
          {"createdAt", FormatIso8601(e.created_at)},
          {"updatedAt", FormatIso8601(e.updated_at)}};
}

nlohmann::json ToJson(const Delivery& d) {
  nlohmann::json attempts = nlohmann::json::array();
  for (const DeliveryAttempt& a : d.attempt_log) {
    attempts.push_back(
        {{"number", a.number},
         {"at", FormatIso8601(a.at)},
         {"statusCode", a.status_code ? nlohmann::json(*a.status_code) : nlohmann::json(nullptr)},
         {"error", a.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.error)},
         {"latencyMs", a.latency_ms}});
  }
  return {{"id", d.id},
          {"webhookId", d.endpoint_id},
          {"messageId", d.message_id},
          {"type", d.type},
          {"state", std::string(DeliveryStateName(d.state))},
          {"attempts", d.attempts},
          {"nextAttemptAt", OptionalTime(d.next_attempt_at)},
          {"createdAt", FormatIso8601(d.created_at)},
          {"attemptLog", attempts}};
}

Result<std::vector<std::string>> EventsField(const JsonBody& body) {
  return body.RequiredStringArray("events");
}

Result<HttpResponse> CreateWebhook(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(ctx.request.body, {"url", "events", "description", "format"}));
  NewWebhook request;
  ASSIGN_OR_RETURN(request.url, body.RequiredString("url"));
  ASSIGN_OR_RETURN(request.events, EventsField(body));
  ASSIGN_OR_RETURN(auto description, body.OptionalString("description"));
  request.description = description.value_or("");
  ASSIGN_OR_RETURN(auto format, body.OptionalString("format"));
  if (format) {
    auto parsed = WebhookFormatFromName(*format);
    if (!parsed) return InvalidArgument("format must be \"standard\" or \"slack\"");
    request.format = *parsed;
  }
  ASSIGN_OR_RETURN(CreatedWebhook created, d.webhooks.Create(ctx.account_id(), request, ctx.audit));
  nlohmann::json out = ToJson(created.endpoint);
  out["secret"] = std::string(created.secret.view());
  return JsonResponse(201, out);
}

Result<HttpResponse> ListWebhooks(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  ASSIGN_OR_RETURN(auto endpoints, d.webhooks.List(ctx.account_id()));
  auto key = [](const WebhookEndpoint& e) { return PageKey{ToUnix(e.created_at), e.id}; };
  std::optional<PageKey> next;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : Paginate(std::move(endpoints), page, key, NewerFirst, &next)) {
    list.push_back(ToJson(e));
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> GetWebhook(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto endpoint, d.webhooks.Get(ctx.account_id(), ctx.param("id")));
  return JsonResponse(200, ToJson(endpoint));
}

Result<HttpResponse> UpdateWebhook(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(JsonBody body,
                   JsonBody::Parse(ctx.request.body, {"url", "events", "description", "enabled"}));
  WebhookUpdate update;
  ASSIGN_OR_RETURN(update.url, body.OptionalString("url"));
  ASSIGN_OR_RETURN(update.description, body.OptionalString("description"));
  if (body.Has("events")) {
    ASSIGN_OR_RETURN(update.events, EventsField(body));
  }
  if (body.Has("enabled")) {
    if (!body.json()["enabled"].is_boolean()) return InvalidArgument("enabled must be a boolean");
    update.enabled = body.json()["enabled"].get<bool>();
  }
  ASSIGN_OR_RETURN(auto endpoint,
                   d.webhooks.Update(ctx.account_id(), ctx.param("id"), update, ctx.audit));
  return JsonResponse(200, ToJson(endpoint));
}

Result<HttpResponse> DeleteWebhook(const WebhookRouteDeps& d, RequestContext& ctx) {
  RETURN_IF_ERROR(d.webhooks.Delete(ctx.account_id(), ctx.param("id"), ctx.audit));
  return JsonResponse(200, {{"id", ctx.param("id")}, {"deleted", true}});
}

Result<HttpResponse> RotateWebhookSecret(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(SecretBytes secret,
                   d.webhooks.RotateSecret(ctx.account_id(), ctx.param("id"), ctx.audit));
  ASSIGN_OR_RETURN(auto endpoint, d.webhooks.Get(ctx.account_id(), ctx.param("id")));
  return JsonResponse(200, {{"id", endpoint.id},
                            {"secret", std::string(secret.view())},
                            {"previousSecretValidUntil", OptionalTime(endpoint.previous_until)}});
}

Result<HttpResponse> TestWebhook(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto delivery,
                   d.webhooks.SendTest(ctx.account_id(), ctx.param("id"), ctx.audit));
  return JsonResponse(200, ToJson(delivery));
}

Result<HttpResponse> ListDeliveries(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  std::optional<std::string> before;
  if (page.after) before = page.after->id;
  // Newest first (delivery ids sort by creation), paged in the store.
  ASSIGN_OR_RETURN(auto deliveries, d.webhooks.Deliveries(ctx.account_id(), ctx.param("id"),
                                                          page.limit + 1, before));
  std::optional<PageKey> next;
  if (deliveries.size() > static_cast<size_t>(page.limit)) {
    deliveries.resize(page.limit);
    next = PageKey{0, deliveries.back().id};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& delivery : deliveries) list.push_back(ToJson(delivery));
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

Result<HttpResponse> RetryDelivery(const WebhookRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto delivery, d.webhooks.Retry(ctx.account_id(), ctx.param("id"),
                                                   ctx.param("deliveryId"), ctx.audit));
  return JsonResponse(200, ToJson(delivery));
}

Result<HttpResponse> ListEventTypes(const WebhookRouteDeps&, RequestContext& ctx) {
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(ctx.request));
  std::vector<EventType> types(EventTypes().begin(), EventTypes().end());
  auto key = [](const EventType& t) { return PageKey{0, t.name}; };
  std::optional<PageKey> next;
  nlohmann::json list = nlohmann::json::array();
  for (const EventType& t : Paginate(std::move(types), page, key, ByIdAscending, &next)) {
    list.push_back({{"name", t.name}, {"description", t.description}});
  }
  return JsonResponse(200, ListBody(page, std::move(list), next));
}

constexpr const char* kWrite = scopes::kWebhooksWrite;

const RouteRow<WebhookRouteDeps> kWebhookRoutes[] = {
    {{"POST", "/webhooks", AuthKind::kApiKey, kWrite, kBlocking, CreateWebhook},
     {"Register a webhook endpoint (its signing secret is shown once)", "webhooks",
      schemas::kCreateWebhookRequest, schemas::kCreatedWebhook, 201}},
    {{"GET", "/webhooks", AuthKind::kApiKey, kWrite, kBlocking, ListWebhooks},
     {"List the account's webhook endpoints", "webhooks", "", schemas::kWebhookList}},
    {{"GET", "/webhooks/event-types", AuthKind::kApiKey, "", kNonBlocking, ListEventTypes},
     {"The event types an endpoint may subscribe to (any key)", "webhooks", "",
      schemas::kEventTypeList}},
    {{"GET", "/webhooks/{id}", AuthKind::kApiKey, kWrite, kBlocking, GetWebhook},
     {"One webhook endpoint", "webhooks", "", schemas::kWebhook, 200, {}, kConditional}},
    {{"PATCH", "/webhooks/{id}", AuthKind::kApiKey, kWrite, kBlocking, UpdateWebhook},
     {"Change an endpoint's url, events, description, or enable/disable it",
      "webhooks",
      schemas::kUpdateWebhookRequest,
      schemas::kWebhook,
      200,
      {},
      kConditional}},
    {{"DELETE", "/webhooks/{id}", AuthKind::kApiKey, kWrite, kBlocking, DeleteWebhook},
     {"Delete an endpoint and its deliveries",
      "webhooks",
      "",
      schemas::kWebhookDeleted,
      200,
      {},
      kConditional}},
    {{"POST", "/webhooks/{id}/rotate-secret", AuthKind::kApiKey, kWrite, kBlocking,
      RotateWebhookSecret},
     {"New signing secret (shown once); the old one also signs for 24 hours", "webhooks", "",
      schemas::kWebhookSecret}},
    {{"POST", "/webhooks/{id}/test", AuthKind::kApiKey, kWrite, kBlocking, TestWebhook},
     {"Send a webhook.test message now and return the attempt", "webhooks", "",
      schemas::kWebhookDelivery}},
    {{"GET", "/webhooks/{id}/deliveries", AuthKind::kApiKey, kWrite, kBlocking, ListDeliveries},
     {"An endpoint's deliveries, newest first, with every attempt (limit, cursor)", "webhooks", "",
      schemas::kWebhookDeliveryList}},
    {{"POST", "/webhooks/{id}/deliveries/{deliveryId}/retry", AuthKind::kApiKey, kWrite, kBlocking,
      RetryDelivery},
     {"Attempt a pending or failed delivery again now", "webhooks", "", schemas::kWebhookDelivery}},
};

}  // namespace

void AddWebhookRoutes(Router& router, const WebhookRouteDeps& deps) {
  AddRoutes(router, deps, kWebhookRoutes);
}

}  // namespace latchkey
