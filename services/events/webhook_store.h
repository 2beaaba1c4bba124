// WebhookStore: the SQL behind webhooks. Stateless; every function runs on
// the executor it is given, so callers compose them inside one transaction
// (the outbox writes a message and its deliveries inside the transaction of
// the change that raised it).
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"
#include "services/events/webhook.h"

namespace latchkey {

// An endpoint's signing secrets, sealed.
struct SealedWebhookSecrets {
  Bytes current;
  std::optional<Bytes> previous;  // while it still signs (see previous_until)
};

// What a sender needs to make one attempt.
struct DeliveryJob {
  Delivery delivery;
  WebhookEndpoint endpoint;
  SealedWebhookSecrets secrets;
  std::string body;  // the message's JSON, as signed
};

class WebhookStore {
 public:
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  static Status InsertEndpoint(SqlExecutor& tx, const WebhookEndpoint& e, const Bytes& secret);
  static Result<std::optional<WebhookEndpoint>> GetEndpoint(SqlExecutor& exec,
                                                            const std::string& account_id,
                                                            const std::string& id);
  // Newest first.
  static Result<std::vector<WebhookEndpoint>> ListEndpoints(SqlExecutor& exec,
                                                            const std::string& account_id);
  static Result<int64_t> CountEndpoints(SqlExecutor& exec, const std::string& account_id);
  // Writes url, description, events, format, enabled, disabled_reason,
  // failing_since and updated_at.
  static Status UpdateEndpoint(SqlExecutor& tx, const WebhookEndpoint& e);
  // Removes the endpoint with its deliveries; false if there was none.
  static Result<bool> DeleteEndpoint(SqlExecutor& tx, const std::string& account_id,
                                     const std::string& id);
  static Result<SealedWebhookSecrets> Secrets(SqlExecutor& exec, const std::string& id,
                                              TimePoint now);
  // The current secret becomes the previous one (signing until `until`).
  static Status RotateSecret(SqlExecutor& tx, const std::string& id, const Bytes& secret,
                             TimePoint until, TimePoint now);

  // The outbox: one message, then one delivery per endpoint that wants it.
  static Status InsertMessage(SqlExecutor& tx, const std::string& id, const std::string& account_id,
                              const std::string& type, const std::string& body, TimePoint now);
  static Status InsertDelivery(SqlExecutor& tx, const Delivery& d);

  // Up to `limit` pending deliveries due at `now` whose lease is free.
  static Result<std::vector<std::string>> DueDeliveries(SqlExecutor& exec, TimePoint now,
                                                        int limit);
  // Takes the lease on a due delivery; false if another sender holds it or
  // it is no longer due.
  static Result<bool> Claim(SqlExecutor& tx, const std::string& id, const std::string& owner,
                            TimePoint now, TimePoint lease_until);
  static Result<std::optional<DeliveryJob>> Job(SqlExecutor& exec, const std::string& id,
                                                TimePoint now);
  // Records an attempt and the delivery's next state, releasing the lease;
  // false if the lease was lost (nothing written).
  static Result<bool> RecordAttempt(SqlExecutor& tx, const Delivery& d, const std::string& owner,
                                    const DeliveryAttempt& attempt);

  static Result<std::optional<Delivery>> GetDelivery(SqlExecutor& exec,
                                                     const std::string& account_id,
                                                     const std::string& id);
  // An endpoint's deliveries, newest first, with their attempts; at most
  // `limit`, older than `before` (a delivery id) when given.
  static Result<std::vector<Delivery>> ListDeliveries(SqlExecutor& exec,
                                                      const std::string& account_id,
                                                      const std::string& endpoint_id, int limit,
                                                      const std::optional<std::string>& before);
  // Makes a delivery pending and due at `now` (a manual retry).
  static Status Requeue(SqlExecutor& tx, const Delivery& d, TimePoint now);
};

}  // namespace latchkey
