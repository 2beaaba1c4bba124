// Rules for secret values people paste in (API keys, passwords, client
// secrets): how they are checked, and the only part of one we ever show.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace latchkey {

// The last four characters (UTF-8 code points, never a split one), only for
// values of at least 12 characters, so a short value is never half revealed.
std::optional<std::string> MaskedLast4(std::string_view value);

// InvalidArgument naming `field` if `value` is empty, shorter than
// `min_length`, longer than `max_length`, or holds control characters.
Status CheckSecretText(std::string_view value, const std::string& field, size_t min_length,
                       size_t max_length);

}  // namespace latchkey
