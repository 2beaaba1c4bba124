// URL text: percent-encoding (RFC 3986) and application/x-www-form-urlencoded
// bodies and query strings (the WHATWG form, as OAuth endpoints use it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX.
std::string PercentEncode(std::string_view text);

// Decodes %XX escapes (and '+' as space when `plus_is_space`). nullopt for a
// malformed escape or a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y": each name and value percent-encoded, in order.
std::string FormEncode(const FormFields& fields);

// The fields of "a=1&b=x+y"; nullopt if any escape is malformed.
std::optional<FormFields> FormDecode(std::string_view text);

// `url` with the encoded fields appended to its query ('?' or '&').
std::string AppendQuery(std::string url, const FormFields& fields);

}  // namespace latchkey
