// Small text helpers shared by configuration and header parsing.
#pragma once

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

}  // namespace latchkey
