#include "services/oauth/token_status.h"

#include <charconv>

#include "services/oauth/json_fields.h"

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

std::optional<int64_t> UsableUntil(bool refreshable, std::optional<int64_t> expires_at,
                                   int64_t granted_at, std::string_view metadata_json) {
  if (!refreshable) return expires_at;
  auto metadata = nlohmann::json::parse(metadata_json, nullptr, false);
  const nlohmann::json* lifetime = JsonMember(metadata, "refresh_token_expires_in");
  int64_t seconds = 0;
  if (lifetime != nullptr && lifetime->is_number_integer()) {
    seconds = lifetime->get<int64_t>();
  } else if (const std::string* text = JsonStringMember(metadata, "refresh_token_expires_in")) {
    // A form-encoded answer's: digits only, else unknown.
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), seconds);
    if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  }
  if (seconds <= 0 || seconds > int64_t{100} * 365 * 86400) return std::nullopt;
  return granted_at + seconds;
}

}  // namespace latchkey
