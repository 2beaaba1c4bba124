// Standard Webhooks signing (https://www.standardwebhooks.com): the secret
// format and the webhook-signature header, so receivers verify with that
// specification's published libraries.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"

namespace latchkey {

inline constexpr char kWebhookSecretPrefix[] = "whsec_";

// "whsec_" + base64 of 32 random bytes.
SecretBytes NewWebhookSecret();

// "v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>" for each secret,
// space-separated (several while a rotated secret still signs).
// InvalidArgument if a secret is not "whsec_" + base64.
Result<std::string> WebhookSignature(const std::vector<std::string_view>& secrets,
                                     std::string_view message_id, int64_t timestamp,
                                     std::string_view body);

}  // namespace latchkey
