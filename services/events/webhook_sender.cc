// WebhookService's sending half: claiming due deliveries, making the HTTP
// attempt, and recording what happened.
#include <algorithm>
#include <atomic>
#include <thread>

#include "common/http_client.h"
#include "common/json_text.h"
#include "common/metrics.h"
#include "services/events/event_types.h"
#include "services/events/webhook_signer.h"
#include "services/events/webhooks.h"

namespace latchkey {
namespace {

constexpr char kSecretKind[] = "webhook_secret";
constexpr size_t kMaxResponseBody = 64 * 1024;  // read and dropped

// {"text": "..."} for a Slack incoming webhook: the type and the payload's
// ids, one line.
std::string SlackBody(const std::string& type, const std::string& body) {
  std::string summary = "Latchkey: " + type;
  size_t data = body.find("\"data\":{");
  if (data != std::string::npos) {
    std::string fields = body.substr(data + 8);
    if (!fields.empty() && fields.back() == '}') fields.pop_back();
    if (!fields.empty() && fields.back() == '}') fields.pop_back();
    fields.erase(std::remove(fields.begin(), fields.end(), '"'), fields.end());
    summary += " (" + fields + ")";
  }
  return "{\"text\":" + JsonQuote(summary) + "}";
}

}  // namespace

std::chrono::seconds WebhookService::RetryDelay(int64_t attempts, double jitter) {
  static constexpr int64_t kSchedule[] = {5, 30, 120, 600, 3600};
  constexpr int64_t kEvery = 6 * 3600;
  int64_t base = attempts >= 1 && attempts <= 5 ? kSchedule[attempts - 1] : kEvery;
  double factor = 0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0);
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(base * factor)));
}

Result<int> WebhookService::DeliverDue() {
  ASSIGN_OR_RETURN(auto due, WebhookStore::DueDeliveries(db_, clock_.Now(), options_.batch));
  std::atomic<size_t> next{0};
  std::atomic<int> made{0};
  auto work = [&] {
    for (size_t i = next++; i < due.size(); i = next++) {
      auto sent = DeliverOne(due[i]);
      if (sent.ok() && *sent) ++made;
    }
  };
  size_t threads = std::min<size_t>(due.size(), static_cast<size_t>(options_.parallelism));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return made.load();
}

Status WebhookService::ClaimNow(SqlExecutor& tx, const std::string& delivery_id) const {
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(bool claimed,
                   WebhookStore::Claim(tx, delivery_id, options_.owner, now, now + options_.lease));
  if (!claimed) return FailedPrecondition("an attempt of " + delivery_id + " is in progress");
  return Status::Ok();
}

Result<bool> WebhookService::Attempt(const std::string& delivery_id, bool claimed) {
  TimePoint now = clock_.Now();
  std::optional<DeliveryJob> job;
  std::vector<std::string> secrets;
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    if (!claimed) {
      ASSIGN_OR_RETURN(
          claimed, WebhookStore::Claim(tx, delivery_id, options_.owner, now, now + options_.lease));
    }
    if (!claimed) return Status::Ok();
    ASSIGN_OR_RETURN(job, WebhookStore::Job(tx, delivery_id, now));
    if (!job) return Status::Ok();
    std::vector<const Bytes*> sealed = {&job->secrets.current};
    if (job->secrets.previous) sealed.push_back(&*job->secrets.previous);
    for (const Bytes* s : sealed) {
      ASSIGN_OR_RETURN(SecretBytes plain, envelope_.Open(tx, job->delivery.account_id, kSecretKind,
                                                         job->endpoint.id, AsView(*s)));
      secrets.emplace_back(plain.view());
    }
    return Status::Ok();
  }));
  if (!job) return false;
  DeliveryAttempt attempt = Send(*job, secrets);
  for (auto& s : secrets) std::fill(s.begin(), s.end(), '\0');
  RETURN_IF_ERROR(Record(*job, attempt));
  return true;
}

DeliveryAttempt WebhookService::Send(const DeliveryJob& job,
                                     const std::vector<std::string>& secrets) const {
  DeliveryAttempt attempt;
  attempt.number = job.delivery.attempts + 1;
  attempt.at = clock_.Now();
  if (!job.endpoint.enabled) {
    attempt.error = "the endpoint is disabled; not sent";
    return attempt;
  }
  HttpClientRequest request;
  request.method = "POST";
  request.url = job.endpoint.url;
  request.allow_http = true;  // CheckUrl allowed http only for the allowed hosts
  request.connect_timeout = std::min(options_.timeout, std::chrono::milliseconds(10000));
  request.total_timeout = options_.timeout;
  request.check_address = options_.check_address;
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "latchkey-webhooks/1"}};
  if (job.endpoint.format == WebhookFormat::kSlack) {
    request.body = SlackBody(job.delivery.type, job.body);
  } else {
    int64_t timestamp = ToUnix(attempt.at);
    std::vector<std::string_view> keys(secrets.begin(), secrets.end());
    auto signature = WebhookSignature(keys, job.delivery.message_id, timestamp, job.body);
    if (!signature.ok()) {
      attempt.error = "the endpoint's secret cannot sign";
      return attempt;
    }
    request.headers.push_back({"webhook-id", job.delivery.message_id});
    request.headers.push_back({"webhook-timestamp", std::to_string(timestamp)});
    request.headers.push_back({"webhook-signature", *signature});
    request.body = job.body;
  }
  auto started = std::chrono::steady_clock::now();
  auto response = HttpClient::Fetch(request, kMaxResponseBody);
  attempt.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  if (!response.ok()) {
    attempt.error = response.status().message();
  } else {
    attempt.status_code = response->status;
    if (response->status < 200 || response->status > 299) {
      attempt.error = "the receiver answered " + std::to_string(response->status);
    }
  }
  return attempt;
}

Status WebhookService::Record(const DeliveryJob& job, const DeliveryAttempt& attempt) {
  Delivery d = job.delivery;
  d.attempts = attempt.number;
  bool ok = attempt.error.empty();
  TimePoint now = attempt.at;
  if (ok) {
    d.state = DeliveryState::kDelivered;
    d.next_attempt_at.reset();
  } else {
    // The last attempt is made at the deadline itself, so an endpoint that
    // failed every attempt has been failing for the whole period.
    TimePoint next = std::min(now + RetryDelay(d.attempts, Jitter()), d.deadline);
    bool give_up = now >= d.deadline || !job.endpoint.enabled;
    d.state = give_up ? DeliveryState::kFailed : DeliveryState::kPending;
    d.next_attempt_at = give_up ? std::nullopt : std::optional<TimePoint>(next);
  }
  static CounterFamily& outcomes = Metrics::Default().Counter(
      "latchkey_webhook_deliveries_total",
      "Webhook delivery attempts by outcome (delivered, retry, failed)", {"outcome"});
  outcomes.Add({ok ? "delivered" : d.state == DeliveryState::kFailed ? "failed" : "retry"});
  return db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool held, WebhookStore::RecordAttempt(tx, d, options_.owner, attempt));
    if (!held) return Status::Ok();  // the lease ran out; another sender owns it now
    ASSIGN_OR_RETURN(auto endpoint, WebhookStore::GetEndpoint(tx, d.account_id, d.endpoint_id));
    if (!endpoint || !endpoint->enabled) return Status::Ok();
    WebhookEndpoint e = std::move(*endpoint);
    if (ok) {
      if (!e.failing_since) return Status::Ok();
      e.failing_since.reset();
    } else if (!e.failing_since) {
      e.failing_since = now;
    } else if (now - *e.failing_since >= options_.disable_after) {
      e.enabled = false;
      e.disabled_reason = "failing since " + FormatIso8601(*e.failing_since);
      e.updated_at = now;  // a change of state; failingSince alone is not an edit
    } else {
      return Status::Ok();
    }
    RETURN_IF_ERROR(WebhookStore::UpdateEndpoint(tx, e));
    if (e.enabled) return Status::Ok();
    AuditEvent event = AuditEvent::For(AuditContext{"scheduler", "", ""}, e.account_id,
                                       kEndpointDisabledAction, e.id, "failure");
    event.details = {{"reason", e.disabled_reason}};
    return audit_.Append(tx, std::move(event)).status();
  });
}

}  // namespace latchkey
