// WebhookService: the endpoints an account registers, the outbox its
// changes write into, and the sender that delivers each message.
//
// Never lost: the service observes the audit log (AuditObserver), so the
// message a change raises, and one delivery per subscribed endpoint, are
// written in the transaction of the change itself; if the change commits,
// so do they. Never doubled by us: each attempt is made by whoever holds
// the delivery's lease in the database, so N replicas make it once. A
// crash after sending and before recording means one more attempt with the
// same webhook-id, which receivers deduplicate on (Standard Webhooks).
//
// Retries: a timeout, a refused connection or a non-2xx answer is retried
// after about 5 s, 30 s, 2 min, 10 min and 1 h, then every 6 h, until 3
// days after the message; then the delivery is failed. An endpoint that
// has failed for 3 days without a success is disabled, and its account's
// other endpoints receive webhook.endpoint.disabled.
//
// Outbound rules are the proxy's: https only unless the host is allowed
// plain http, and every address checked at connect time.
//
// Thread-safety: safe for concurrent use once constructed; DeliverDue may
// run on several threads and replicas at once.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/envelope.h"
#include "services/events/webhook.h"
#include "services/events/webhook_store.h"

namespace latchkey {

struct WebhookOptions {
  std::vector<std::string> allow_http_hosts;  // hosts reachable over plain http
  // The reason an address may not be connected to, or nullopt.
  std::function<std::optional<std::string>(const sockaddr*)> check_address;
  std::chrono::milliseconds timeout{10000};  // per attempt
  std::string owner = "local";               // this replica, in the leases it takes
  int max_endpoints = 50;                    // per account
  int batch = 64;                            // deliveries claimed per pass
  int parallelism = 4;                       // attempts in flight per pass
  std::chrono::seconds lease{60};
  std::chrono::seconds give_up_after{3 * 24 * 3600};
  std::chrono::seconds disable_after{3 * 24 * 3600};
  std::chrono::seconds previous_secret_for{24 * 3600};
  // 0..1, spreads retries; random unless a test fixes it.
  std::function<double()> jitter;
};

struct NewWebhook {
  std::string url;
  std::vector<std::string> events;
  std::string description;
  WebhookFormat format = WebhookFormat::kStandard;
};

struct WebhookUpdate {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<bool> enabled;
};

// A new endpoint with its secret (shown once).
struct CreatedWebhook {
  WebhookEndpoint endpoint;
  SecretBytes secret;
};

class WebhookService final : public AuditObserver {
 public:
  WebhookService(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
                 WebhookOptions options);

  static const std::vector<Migration>& Migrations();
  static const std::vector<std::string>& OwnedTables();

  // InvalidArgument for a bad URL, format or event type;
  // FailedPrecondition past max_endpoints.
  Result<CreatedWebhook> Create(const std::string& account_id, const NewWebhook& request,
                                const AuditContext& ctx);
  Result<std::vector<WebhookEndpoint>> List(const std::string& account_id);
  // NotFound for another account's endpoint.
  Result<WebhookEndpoint> Get(const std::string& account_id, const std::string& id);
  // Re-enabling clears the failure streak.
  Result<WebhookEndpoint> Update(const std::string& account_id, const std::string& id,
                                 const WebhookUpdate& update, const AuditContext& ctx);
  Status Delete(const std::string& account_id, const std::string& id, const AuditContext& ctx);
  // A new secret; the old one keeps signing for previous_secret_for.
  Result<SecretBytes> RotateSecret(const std::string& account_id, const std::string& id,
                                   const AuditContext& ctx);
  // Sends a webhook.test message to this endpoint now; returns the delivery
  // with its attempt (failed attempts are retried like any other).
  Result<Delivery> SendTest(const std::string& account_id, const std::string& id,
                            const AuditContext& ctx);
  Result<std::vector<Delivery>> Deliveries(const std::string& account_id,
                                           const std::string& endpoint_id, int limit,
                                           const std::optional<std::string>& before);
  // Queues another attempt now, even for a failed delivery, and makes it.
  Result<Delivery> Retry(const std::string& account_id, const std::string& endpoint_id,
                         const std::string& delivery_id, const AuditContext& ctx);

  // The outbox: writes the messages `event` raises inside `tx`.
  Status OnAppend(SqlExecutor& tx, const std::vector<AuditEvent>& events) const override;

  // Makes every attempt due now (claimed with a lease); returns how many
  // were made.
  Result<int> DeliverDue();
  // Claims and makes one delivery's attempt if it is due; false if another
  // sender holds it or it is not due.
  Result<bool> DeliverOne(const std::string& delivery_id) { return Attempt(delivery_id, false); }

  // The delay before attempt `attempts + 1` (jitter 0..1 spreads it ±20%).
  static std::chrono::seconds RetryDelay(int64_t attempts, double jitter);

 private:
  // With `claimed`, the caller already holds the delivery's lease (taken
  // in the transaction that queued it, so no other sender slips in).
  Result<bool> Attempt(const std::string& delivery_id, bool claimed);
  // Takes the lease on a delivery just queued or requeued inside `tx`.
  Status ClaimNow(SqlExecutor& tx, const std::string& delivery_id) const;
  Status CheckUrl(const std::string& url) const;
  Result<WebhookEndpoint> LoadOwned(const std::string& account_id, const std::string& id);
  Status Queue(SqlExecutor& tx, const std::string& account_id, const std::string& type,
               const std::string& data_json, const std::vector<const WebhookEndpoint*>& to,
               std::vector<std::string>* delivery_ids = nullptr) const;
  // The attempt: the HTTP exchange, without the database.
  DeliveryAttempt Send(const DeliveryJob& job, const std::vector<std::string>& secrets) const;
  Status Record(const DeliveryJob& job, const DeliveryAttempt& attempt);
  double Jitter() const;

  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  const WebhookOptions options_;
};

}  // namespace latchkey
