// JSON Schemas of the webhook routes (routes_webhooks.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kCreateWebhookRequest[] =
    R"({"type":"object","required":["url","events"],"properties":{"url":{"type":"string","description":"https, or http for a host in --proxy-allow-http"},"events":{"type":"array","items":{"type":"string"},"description":"event types (GET /webhooks/event-types), or [\"*\"]"},"description":{"type":"string"},"format":{"enum":["standard","slack"]}}})";
inline constexpr char kUpdateWebhookRequest[] =
    R"({"type":"object","properties":{"url":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},"description":{"type":"string"},"enabled":{"type":"boolean"}}})";
inline constexpr char kWebhook[] = R"({"$ref":"#/components/schemas/Webhook"})";
inline constexpr char kCreatedWebhook[] =
    R"({"allOf":[{"$ref":"#/components/schemas/Webhook"},{"type":"object","properties":{"secret":{"type":"string","description":"whsec_...; shown once"}}}]})";
inline constexpr char kWebhookList[] =
    R"({"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Webhook"}}}})";
inline constexpr char kWebhookSecret[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"secret":{"type":"string"},"previousSecretValidUntil":{"type":"string","format":"date-time"}}})";
inline constexpr char kWebhookDeleted[] =
    R"({"type":"object","properties":{"id":{"type":"string"},"deleted":{"type":"boolean"}}})";
inline constexpr char kWebhookDelivery[] = R"({"$ref":"#/components/schemas/WebhookDelivery"})";
inline constexpr char kWebhookDeliveryList[] =
    R"({"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/WebhookDelivery"}},"nextCursor":{"type":["string","null"]}}})";
inline constexpr char kEventTypeList[] =
    R"({"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"description":{"type":"string"}}}}}})";

}  // namespace latchkey::schemas
