// Minimal JSON text helpers for places that must not pull in a JSON library
// (logging, audit hashing): quoting a string and building a flat object.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

// `"..."` with JSON escapes; invalid UTF-8 bytes become U+FFFD.
std::string JsonQuote(std::string_view text);

// {"k":"v",...} from string pairs, in the given order.
std::string JsonFlatObject(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace latchkey
