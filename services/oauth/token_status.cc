#include "services/oauth/token_status.h"

namespace latchkey {
namespace {

struct Spelling {
  TokenStatus status;
  std::string_view text;
};

// The stored and displayed spellings: existing rows and API clients depend
// on them, so they never change.
constexpr Spelling kSpellings[] = {
    {TokenStatus::kActive, "active"},
    {TokenStatus::kRefreshFailing, "refresh_failing"},
    {TokenStatus::kNeedsReauth, "needs_reauth"},
    {TokenStatus::kExpired, "expired"},
};

}  // namespace

std::string_view TokenStatusName(TokenStatus status) {
  for (const Spelling& s : kSpellings) {
    if (s.status == status) return s.text;
  }
  return kSpellings[0].text;  // unreachable: every enumerator is listed above
}

std::optional<TokenStatus> ParseTokenStatus(std::string_view text) {
  for (const Spelling& s : kSpellings) {
    if (s.text == text) return s.status;
  }
  return std::nullopt;
}

}  // namespace latchkey
