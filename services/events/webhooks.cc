#include "services/events/webhooks.h"

#include <algorithm>
#include <random>

#include "common/hosts.h"
#include "common/ids.h"
#include "common/json_text.h"
#include "common/url.h"
#include "services/events/event_types.h"
#include "services/events/webhook_signer.h"

namespace latchkey {
namespace {

constexpr char kSecretKind[] = "webhook_secret";
constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxDescription = 256;
constexpr size_t kMaxEvents = 64;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status CheckEvents(const std::vector<std::string>& events) {
  if (events.empty()) return InvalidArgument("events: name at least one event type, or \"*\"");
  if (events.size() > kMaxEvents) return InvalidArgument("events: too many entries");
  for (const auto& e : events) {
    if (e != "*" && !IsEventType(e)) {
      return InvalidArgument("events: unknown event type \"" + e +
                             "\" (GET /webhooks/event-types lists them)");
    }
  }
  return Status::Ok();
}

Status CheckDescription(const std::string& description) {
  bool control = std::any_of(description.begin(), description.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (description.size() > kMaxDescription || !IsValidUtf8(description) || control) {
    return InvalidArgument("description: at most 256 bytes of UTF-8, no control characters");
  }
  return Status::Ok();
}

// The JSON body every receiver of a message gets, signed as is.
std::string MessageBody(const std::string& type, TimePoint at, const std::string& data_json) {
  return "{\"type\":" + JsonQuote(type) + ",\"timestamp\":" + JsonQuote(FormatIso8601(at)) +
         ",\"data\":" + data_json + "}";
}

}  // namespace

bool WebhookEndpoint::Wants(std::string_view type) const {
  return std::any_of(events.begin(), events.end(),
                     [type](const std::string& e) { return e == "*" || e == type; });
}

std::string_view WebhookFormatName(WebhookFormat f) {
  return f == WebhookFormat::kSlack ? "slack" : "standard";
}

std::optional<WebhookFormat> WebhookFormatFromName(std::string_view name) {
  if (name == "standard") return WebhookFormat::kStandard;
  if (name == "slack") return WebhookFormat::kSlack;
  return std::nullopt;
}

std::string_view DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
    case DeliveryState::kPending:
      break;
  }
  return "pending";
}

WebhookService::WebhookService(Database& db, Envelope& envelope, AuditLog& audit,
                               const Clock& clock, WebhookOptions options)
    : db_(db), envelope_(envelope), audit_(audit), clock_(clock), options_(std::move(options)) {}

const std::vector<Migration>& WebhookService::Migrations() { return WebhookStore::Migrations(); }

const std::vector<std::string>& WebhookService::OwnedTables() {
  return WebhookStore::OwnedTables();
}

Status WebhookService::CheckUrl(const std::string& url) const {
  ASSIGN_OR_RETURN(HttpUrl parsed, ParseHttpUrl(url, "url", kMaxUrl));
  if (parsed.scheme == "http" &&
      std::find(options_.allow_http_hosts.begin(), options_.allow_http_hosts.end(), parsed.host) ==
          options_.allow_http_hosts.end()) {
    return InvalidArgument("url: must be https (" + parsed.host +
                           " is not among the hosts allowed plain http)");
  }
  return Status::Ok();
}

Result<CreatedWebhook> WebhookService::Create(const std::string& account_id,
                                              const NewWebhook& request, const AuditContext& ctx) {
  RETURN_IF_ERROR(CheckUrl(request.url));
  RETURN_IF_ERROR(CheckEvents(request.events));
  RETURN_IF_ERROR(CheckDescription(request.description));
  CreatedWebhook created;
  WebhookEndpoint& e = created.endpoint;
  e.id = NewSortableId("whk", static_cast<uint64_t>(NowMs()));
  e.account_id = account_id;
  e.url = request.url;
  e.description = request.description;
  e.events = request.events;
  e.format = request.format;
  e.created_at = e.updated_at = clock_.Now();
  created.secret = NewWebhookSecret();
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t count, WebhookStore::CountEndpoints(tx, account_id));
    if (count >= options_.max_endpoints) {
      return FailedPrecondition("this account already has " + std::to_string(count) +
                                " webhook endpoints, the most it may have");
    }
    ASSIGN_OR_RETURN(Bytes sealed,
                     envelope_.Seal(tx, account_id, kSecretKind, e.id, created.secret.view()));
    RETURN_IF_ERROR(WebhookStore::InsertEndpoint(tx, e, sealed));
    AuditEvent event = AuditEvent::For(ctx, account_id, "webhook.create", e.id);
    event.details = {{"format", std::string(WebhookFormatName(e.format))}};
    return audit_.Append(tx, std::move(event)).status();
  }));
  return created;
}

Result<std::vector<WebhookEndpoint>> WebhookService::List(const std::string& account_id) {
  return WebhookStore::ListEndpoints(db_, account_id);
}

Result<WebhookEndpoint> WebhookService::LoadOwned(const std::string& account_id,
                                                  const std::string& id) {
  ASSIGN_OR_RETURN(auto endpoint, WebhookStore::GetEndpoint(db_, account_id, id));
  if (!endpoint) return NotFound("no webhook " + id);
  return std::move(*endpoint);
}

Result<WebhookEndpoint> WebhookService::Get(const std::string& account_id, const std::string& id) {
  return LoadOwned(account_id, id);
}

Result<WebhookEndpoint> WebhookService::Update(const std::string& account_id, const std::string& id,
                                               const WebhookUpdate& update,
                                               const AuditContext& ctx) {
  if (update.url) RETURN_IF_ERROR(CheckUrl(*update.url));
  if (update.events) RETURN_IF_ERROR(CheckEvents(*update.events));
  if (update.description) RETURN_IF_ERROR(CheckDescription(*update.description));
  return TransactionValue<WebhookEndpoint>(db_, [&](SqlExecutor& tx) -> Result<WebhookEndpoint> {
    ASSIGN_OR_RETURN(auto found, WebhookStore::GetEndpoint(tx, account_id, id));
    if (!found) return NotFound("no webhook " + id);
    WebhookEndpoint e = std::move(*found);
    if (update.url) e.url = *update.url;
    if (update.events) e.events = *update.events;
    if (update.description) e.description = *update.description;
    if (update.enabled) {
      if (*update.enabled && !e.enabled) {
        e.failing_since.reset();
        e.disabled_reason.clear();
      }
      e.enabled = *update.enabled;
    }
    e.updated_at = clock_.Now();
    RETURN_IF_ERROR(WebhookStore::UpdateEndpoint(tx, e));
    AuditEvent event = AuditEvent::For(ctx, account_id, "webhook.update", id);
    event.details = {{"enabled", e.enabled ? "true" : "false"}};
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    return e;
  });
}

Status WebhookService::Delete(const std::string& account_id, const std::string& id,
                              const AuditContext& ctx) {
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool deleted, WebhookStore::DeleteEndpoint(tx, account_id, id));
    if (!deleted) return NotFound("no webhook " + id);
    return audit_.Append(tx, AuditEvent::For(ctx, account_id, "webhook.delete", id)).status();
  });
}

Result<SecretBytes> WebhookService::RotateSecret(const std::string& account_id,
                                                 const std::string& id, const AuditContext& ctx) {
  SecretBytes secret = NewWebhookSecret();
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto found, WebhookStore::GetEndpoint(tx, account_id, id));
    if (!found) return NotFound("no webhook " + id);
    ASSIGN_OR_RETURN(Bytes sealed, envelope_.Seal(tx, account_id, kSecretKind, id, secret.view()));
    TimePoint now = clock_.Now();
    RETURN_IF_ERROR(
        WebhookStore::RotateSecret(tx, id, sealed, now + options_.previous_secret_for, now));
    return audit_.Append(tx, AuditEvent::For(ctx, account_id, "webhook.rotate_secret", id))
        .status();
  }));
  return secret;
}

Status WebhookService::OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const {
  for (const AuditEvent& event : events) {
    if (event.account_id == kSystemChain) continue;
    std::vector<RaisedEvent> raised = EventsFor(event);
    if (raised.empty()) continue;
    ASSIGN_OR_RETURN(auto endpoints, WebhookStore::ListEndpoints(tx, event.account_id));
    for (const RaisedEvent& r : raised) {
      std::vector<const WebhookEndpoint*> to;
      for (const auto& e : endpoints) {
        if (e.enabled && e.Wants(r.type)) to.push_back(&e);
      }
      if (!to.empty()) RETURN_IF_ERROR(Queue(tx, event.account_id, r.type, r.data_json, to));
    }
  }
  return Status::Ok();
}

Status WebhookService::Queue(SqlExecutor& tx, const std::string& account_id,
                             const std::string& type, const std::string& data_json,
                             const std::vector<const WebhookEndpoint*>& to,
                             std::vector<std::string>* delivery_ids) const {
  TimePoint now = clock_.Now();
  uint64_t ms = static_cast<uint64_t>(NowMs());
  std::string message_id = NewSortableId("msg", ms);
  RETURN_IF_ERROR(WebhookStore::InsertMessage(tx, message_id, account_id, type,
                                              MessageBody(type, now, data_json), now));
  for (const WebhookEndpoint* e : to) {
    Delivery d;
    d.id = NewSortableId("whd", ms);
    d.account_id = account_id;
    d.endpoint_id = e->id;
    d.message_id = message_id;
    d.next_attempt_at = now;
    d.deadline = now + options_.give_up_after;
    d.created_at = d.updated_at = now;
    RETURN_IF_ERROR(WebhookStore::InsertDelivery(tx, d));
    if (delivery_ids) delivery_ids->push_back(d.id);
  }
  return Status::Ok();
}

Result<Delivery> WebhookService::SendTest(const std::string& account_id, const std::string& id,
                                          const AuditContext& ctx) {
  ASSIGN_OR_RETURN(WebhookEndpoint endpoint, LoadOwned(account_id, id));
  std::vector<std::string> queued;
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    queued.clear();
    RETURN_IF_ERROR(Queue(tx, account_id, "webhook.test",
                          JsonFlatObject({{"accountId", account_id}, {"webhookId", id}}),
                          {&endpoint}, &queued));
    RETURN_IF_ERROR(ClaimNow(tx, queued.at(0)));
    return audit_.Append(tx, AuditEvent::For(ctx, account_id, "webhook.test", id)).status();
  }));
  const std::string& delivery_id = queued.at(0);
  RETURN_IF_ERROR(Attempt(delivery_id, /*claimed=*/true).status());
  ASSIGN_OR_RETURN(auto delivery, WebhookStore::GetDelivery(db_, account_id, delivery_id));
  if (!delivery) return NotFound("the webhook was deleted meanwhile");
  return std::move(*delivery);
}

Result<std::vector<Delivery>> WebhookService::Deliveries(const std::string& account_id,
                                                         const std::string& endpoint_id, int limit,
                                                         const std::optional<std::string>& before) {
  RETURN_IF_ERROR(LoadOwned(account_id, endpoint_id).status());
  return WebhookStore::ListDeliveries(db_, account_id, endpoint_id, std::clamp(limit, 1, 1000),
                                      before);
}

Result<Delivery> WebhookService::Retry(const std::string& account_id,
                                       const std::string& endpoint_id,
                                       const std::string& delivery_id, const AuditContext& ctx) {
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto d, WebhookStore::GetDelivery(tx, account_id, delivery_id));
    if (!d || d->endpoint_id != endpoint_id) return NotFound("no delivery " + delivery_id);
    if (d->state == DeliveryState::kDelivered) {
      return FailedPrecondition("delivery " + delivery_id + " was already delivered");
    }
    RETURN_IF_ERROR(WebhookStore::Requeue(tx, *d, clock_.Now()));
    RETURN_IF_ERROR(ClaimNow(tx, delivery_id));
    AuditEvent event = AuditEvent::For(ctx, account_id, "webhook.delivery.retry", endpoint_id);
    event.details = {{"delivery", delivery_id}};
    return audit_.Append(tx, std::move(event)).status();
  }));
  RETURN_IF_ERROR(Attempt(delivery_id, /*claimed=*/true).status());
  ASSIGN_OR_RETURN(auto delivery, WebhookStore::GetDelivery(db_, account_id, delivery_id));
  if (!delivery) return NotFound("no delivery " + delivery_id);
  return std::move(*delivery);
}

double WebhookService::Jitter() const {
  if (options_.jitter) return options_.jitter();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace latchkey
