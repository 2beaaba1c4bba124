// Small text helpers shared by configuration and header parsing.
#pragma once

#include <string_view>
#include <vector>

namespace latchkey {

// The items of a `sep`-separated list, each without surrounding spaces and
// tabs; empty items are dropped ("a, b,,c" -> {"a", "b", "c"}). The views
// point into `text`.
std::vector<std::string_view> SplitList(std::string_view text, char sep = ',');

}  // namespace latchkey
