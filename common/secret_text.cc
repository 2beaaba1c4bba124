#include "common/secret_text.h"

namespace latchkey {

std::optional<std::string> MaskedLast4(std::string_view value) {
  // A code point starts at every byte that is not a continuation byte.
  auto starts = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; };
  size_t characters = 0;
  size_t last4 = value.size();
  for (size_t i = value.size(); i-- > 0;) {
    if (!starts(value[i])) continue;
    if (++characters == 4) last4 = i;
  }
  if (characters < 12) return std::nullopt;
  return std::string(value.substr(last4));
}

Status CheckSecretText(std::string_view value, const std::string& field, size_t min_length,
                       size_t max_length) {
  if (value.empty()) return InvalidArgument(field + " must not be empty");
  if (value.size() < min_length) {
    return InvalidArgument(field + " must be at least " + std::to_string(min_length) +
                           " characters");
  }
  if (value.size() > max_length) {
    return InvalidArgument(field + " is longer than " + std::to_string(max_length) + " characters");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument(field + " contains control characters");
  }
  return Status::Ok();
}

}  // namespace latchkey
