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

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms,
// surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// How deeply untrusted JSON may nest. nlohmann's parser is iterative, but
// copying, comparing and dump() recurse once per level, so a body of 60,000
// '[' would overflow the stack far from the parser. Every parse of text we
// did not write checks this first.
inline constexpr size_t kMaxJsonDepth = 64;

// True when no array or object in `text` nests deeper than `max_depth`
// (brackets inside strings do not count). Linear; never recurses; says
// nothing else about whether `text` is valid JSON.
bool JsonNestingWithin(std::string_view text, size_t max_depth = kMaxJsonDepth);

// The error message for text that fails JsonNestingWithin.
std::string JsonTooDeepMessage(std::string_view what);

// True when `text` holds a NUL byte. nlohmann's parser takes a NUL for the
// end of input and ignores what follows, so text with one must be refused
// before parsing (another parser in front of us might read further).
inline bool HasNulByte(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace latchkey
