// Resource ids: a type prefix and 20 random lowercase base32 characters
// (100 bits), e.g. "acct_k3v9...". Ids are public and carry no meaning.
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

std::string NewId(std::string_view prefix);

// True if `id` is `prefix` + '_' + 20 base32 characters.
bool IsValidId(std::string_view id, std::string_view prefix);

}  // namespace latchkey
