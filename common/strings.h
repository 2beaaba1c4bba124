// Small text helpers shared by configuration and header parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

// The items of a `sep`-separated list, each without surrounding spaces and
// tabs; empty items are dropped ("a, b,,c" -> {"a", "b", "c"}). The views
// point into `text`.
std::vector<std::string_view> SplitList(std::string_view text, char sep = ',');

// An HTTP field name: 1 to 256 RFC 9110 token characters.
bool IsHeaderName(std::string_view name);
// An HTTP field value we would send: up to 8 KiB of visible characters,
// spaces and tabs; no line breaks, NULs or other controls.
bool IsHeaderValue(std::string_view value);

// The one of `known` that `given` most likely misspells, ignoring case: a
// name it is a prefix of ("aud" -> "audience"), or one within a small edit
// distance (a third of its length, at least 1, at most 3); nullopt if none.
std::optional<std::string> ClosestMatch(std::string_view given,
                                        const std::vector<std::string>& known);

// "unknown {what} 'x'; did you mean 'y'? (known: a, b, c)": `given` cut to
// 64 bytes, the suggestion when ClosestMatch finds one.
std::string UnknownName(std::string_view what, std::string_view given,
                        const std::vector<std::string>& known);

}  // namespace latchkey
