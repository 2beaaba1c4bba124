// TokenStatus: where an OAuth token stands, and the one place that spells it
// as text (the oauth_tokens.status column and the API's "status" field).
//
// Only kActive and kNeedsReauth are ever stored. kRefreshFailing and
// kExpired are derived when a token is shown (from its expiry, failure
// count and whether it can be refreshed), so they never go stale in a row.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace latchkey {

enum class TokenStatus {
  kActive,          // usable, or refreshable in time
  kRefreshFailing,  // expired while refreshing keeps failing transiently
  kNeedsReauth,     // the provider refused the grant; only the user can renew it
  kExpired,         // expired and not refreshable
};

// "active", "refresh_failing", "needs_reauth" or "expired".
std::string_view TokenStatusName(TokenStatus status);
// The inverse of TokenStatusName; nullopt for any other text.
std::optional<TokenStatus> ParseTokenStatus(std::string_view text);

// When a connection stops yielding access tokens without its user coming
// back, in Unix seconds. With a refresh token: that token's expiry when the
// provider reported one (`refresh_token_expires_in` in `metadata_json`,
// counted from `granted_at`, the last grant or refresh); without one: the
// access token's expiry. nullopt when neither is known to end.
std::optional<int64_t> UsableUntil(bool refreshable, std::optional<int64_t> expires_at,
                                   int64_t granted_at, std::string_view metadata_json);

}  // namespace latchkey
