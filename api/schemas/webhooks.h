// JSON Schemas of the webhook routes (routes_webhooks.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// Webhook, CreatedWebhook, WebhookDelivery and EventType, in #/components/schemas.
inline constexpr char kWebhookComponents[] = R"({
    "Webhook": {"type":"object","additionalProperties":false,
      "required":["id","url","description","events","format","enabled","disabledReason",
        "failingSince","previousSecretValidUntil","createdAt","updatedAt"],
      "properties":{"id":{"type":"string"},"url":{"type":"string",
          "description":"a Slack URL is a credential: only its host and last four characters are shown"},
        "description":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},
        "format":{"enum":["standard","slack"]},"enabled":{"type":"boolean"},
        "disabledReason":{"type":["string","null"]},
        "failingSince":{"type":["string","null"],"format":"date-time"},
        "previousSecretValidUntil":{"type":["string","null"],"format":"date-time"},
        "createdAt":{"type":"string","format":"date-time"},
        "updatedAt":{"type":"string","format":"date-time"}},
      "examples":[{"id":"whk_0kq7v2mxd4bn5cfha6jt","url":"https://hooks.example.com/latchkey",
        "description":"ops","events":["certificate.expiring"],"format":"standard","enabled":true,
        "disabledReason":null,"failingSince":null,"previousSecretValidUntil":null,
        "createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z"}]},
    "CreatedWebhook": {"type":"object","additionalProperties":false,
      "required":["id","url","description","events","format","enabled","disabledReason",
        "failingSince","previousSecretValidUntil","createdAt","updatedAt"],
      "properties":{"id":{"type":"string"},"url":{"type":"string",
          "description":"a Slack URL is a credential: only its host and last four characters are shown"},
        "description":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},
        "format":{"enum":["standard","slack"]},"enabled":{"type":"boolean"},
        "disabledReason":{"type":["string","null"]},
        "failingSince":{"type":["string","null"],"format":"date-time"},
        "previousSecretValidUntil":{"type":["string","null"],"format":"date-time"},
        "createdAt":{"type":"string","format":"date-time"},
        "updatedAt":{"type":"string","format":"date-time"},
        "secret":{"type":"string","description":"whsec_...; shown once: absent from a replay"},
        "replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},
      "examples":[{"id":"whk_0kq7v2mxd4bn5cfha6jt","url":"https://hooks.example.com/latchkey",
        "description":"ops","events":["certificate.expiring"],"format":"standard","enabled":true,
        "disabledReason":null,"failingSince":null,"previousSecretValidUntil":null,
        "createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z",
        "secret":"whsec_WVLFYmi9fe/OHaWS33mBLkjfp3LdmWwcsb0CToaqIXY="}]},
    "WebhookDelivery": {"type":"object","additionalProperties":false,
      "required":["id","webhookId","messageId","type","state","attempts","nextAttemptAt",
        "createdAt","attemptLog"],
      "properties":{"id":{"type":"string"},"webhookId":{"type":"string"},
        "messageId":{"type":"string"},"type":{"type":"string"},
        "state":{"enum":["pending","delivered","failed"]},"attempts":{"type":"integer"},
        "nextAttemptAt":{"type":["string","null"],"format":"date-time"},
        "createdAt":{"type":"string","format":"date-time"},
        "attemptLog":{"type":"array","items":{"type":"object","additionalProperties":false,
          "required":["number","at","statusCode","error","latencyMs"],
          "properties":{"number":{"type":"integer"},"at":{"type":"string","format":"date-time"},
            "statusCode":{"type":["integer","null"]},"error":{"type":["string","null"]},
            "latencyMs":{"type":"integer"}}}}},
      "examples":[{"id":"whd_1kq7v2mxd4bn5cfha6jt","webhookId":"whk_0kq7v2mxd4bn5cfha6jt",
        "messageId":"msg_1kq7v2mxd4bn5cfha6ju","type":"webhook.test","state":"delivered",
        "attempts":1,"nextAttemptAt":null,"createdAt":"2026-01-02T03:04:05Z",
        "attemptLog":[{"number":1,"at":"2026-01-02T03:04:05Z","statusCode":204,"error":null,
          "latencyMs":84}]}]},
    "EventType": {"type":"object","additionalProperties":false,"required":["name","description"],
      "properties":{"name":{"type":"string"},"description":{"type":"string"}},
      "examples":[{"name":"certificate.expiring","description":"a certificate expires within 7 days"}]}
  })";

inline constexpr char kCreateWebhookRequest[] =
    R"({"type":"object","required":["url","events"],"additionalProperties":false,"properties":{"url":{"type":"string","description":"https, or http for a host in --proxy-allow-http"},"events":{"type":"array","items":{"type":"string"},"description":"event types (GET /webhooks/event-types), or [\"*\"]"},"description":{"type":["string","null"]},"format":{"enum":["standard","slack",null]}},"examples":[{"url":"https://hooks.example.com/latchkey","events":["certificate.expiring"],"description":"ops"}]})";
inline constexpr char kUpdateWebhookRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"url":{"type":["string","null"]},"events":{"type":"array","items":{"type":"string"}},"description":{"type":["string","null"]},"enabled":{"type":"boolean"}},"examples":[{"enabled":false}]})";
inline constexpr char kWebhook[] = R"({"$ref":"#/components/schemas/Webhook"})";
inline constexpr char kCreatedWebhook[] = R"({"$ref":"#/components/schemas/CreatedWebhook"})";
inline constexpr char kWebhookList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/Webhook"})");
inline constexpr char kWebhookSecret[] =
    R"({"type":"object","additionalProperties":false,"required":["id","secret","previousSecretValidUntil"],"properties":{"id":{"type":"string"},"secret":{"type":"string"},"previousSecretValidUntil":{"type":["string","null"],"format":"date-time"}},"examples":[{"id":"whk_0kq7v2mxd4bn5cfha6jt","secret":"whsec_WVLFYmi9fe/OHaWS33mBLkjfp3LdmWwcsb0CToaqIXY=","previousSecretValidUntil":"2026-01-03T03:04:05Z"}]})";
inline constexpr char kWebhookDeleted[] =
    R"({"type":"object","additionalProperties":false,"required":["id","deleted"],"properties":{"id":{"type":"string"},"deleted":{"const":true}},"examples":[{"id":"whk_0kq7v2mxd4bn5cfha6jt","deleted":true}]})";
inline constexpr char kWebhookDelivery[] = R"({"$ref":"#/components/schemas/WebhookDelivery"})";
inline constexpr char kWebhookDeliveryList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/WebhookDelivery"})");
inline constexpr char kEventTypeList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/EventType"})");

}  // namespace latchkey::schemas
