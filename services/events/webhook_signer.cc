#include "services/events/webhook_signer.h"

namespace latchkey {

SecretBytes NewWebhookSecret() {
  Bytes raw = RandomBytes(32);
  std::string text = kWebhookSecretPrefix + Base64Encode(AsView(raw));
  SecretBytes out(text);
  SecretBytes wipe_raw(std::move(raw));
  std::fill(text.begin(), text.end(), '\0');
  return out;
}

Result<std::string> WebhookSignature(const std::vector<std::string_view>& secrets,
                                     std::string_view message_id, int64_t timestamp,
                                     std::string_view body) {
  std::string content;
  content.reserve(message_id.size() + body.size() + 24);
  content.append(message_id).append(".").append(std::to_string(timestamp)).append(".");
  content.append(body);
  std::string header;
  for (std::string_view secret : secrets) {
    if (secret.substr(0, sizeof(kWebhookSecretPrefix) - 1) != kWebhookSecretPrefix) {
      return InvalidArgument("webhook secret without the whsec_ prefix");
    }
    auto key = Base64Decode(secret.substr(sizeof(kWebhookSecretPrefix) - 1));
    if (!key.ok()) return InvalidArgument("webhook secret is not base64");
    SecretBytes held(std::move(key).value());
    Bytes mac = HmacSha256(held.view(), content);
    header += (header.empty() ? "v1," : " v1,") + Base64Encode(AsView(mac));
  }
  return header;
}

}  // namespace latchkey
