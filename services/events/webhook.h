// The webhook records: endpoints an account registered, the messages its
// changes raised (the outbox), and the deliveries of each message to each
// subscribed endpoint with their attempts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace latchkey {

// What an endpoint receives: Standard Webhooks JSON, or a Slack incoming
// webhook's {"text": ...}.
enum class WebhookFormat { kStandard, kSlack };
std::string_view WebhookFormatName(WebhookFormat f);
std::optional<WebhookFormat> WebhookFormatFromName(std::string_view name);

struct WebhookEndpoint {
  std::string id;  // "whk_..."
  std::string account_id;
  std::string url;
  std::string description;
  std::vector<std::string> events;  // event types, or {"*"} for all
  WebhookFormat format = WebhookFormat::kStandard;
  bool enabled = true;
  std::string disabled_reason;              // why it was disabled automatically
  std::optional<TimePoint> previous_until;  // the previous secret still signs until then
  std::optional<TimePoint> failing_since;   // first failure since the last success
  TimePoint created_at;
  TimePoint updated_at;

  bool Wants(std::string_view type) const;
};

enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view DeliveryStateName(DeliveryState s);

// One try at sending a delivery.
struct DeliveryAttempt {
  int64_t number = 0;  // 1, 2, ...
  TimePoint at;
  std::optional<int> status_code;  // the receiver's answer, if any
  std::string error;               // why it failed; empty on success
  int64_t latency_ms = 0;
};

struct Delivery {
  std::string id;  // "whd_..."
  std::string account_id;
  std::string endpoint_id;
  std::string message_id;  // "msg_...": the webhook-id header, the same on every retry
  std::string type;
  DeliveryState state = DeliveryState::kPending;
  int64_t attempts = 0;
  std::optional<TimePoint> next_attempt_at;  // set while pending
  TimePoint deadline;                        // no automatic retry after this
  TimePoint created_at;
  TimePoint updated_at;
  std::vector<DeliveryAttempt> attempt_log;  // oldest first (filled by readers that ask)
};

}  // namespace latchkey
