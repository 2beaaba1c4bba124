// URLs: percent-encoding (RFC 3986), application/x-www-form-urlencoded
// bodies and query strings (the WHATWG form, as OAuth endpoints use it), and
// absolute http(s) URLs read by libcurl's parser, the one our HTTP clients
// send with, so that a host the proxy checks is the host it connects to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

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

// `url` with the encoded fields appended to its query ('?' or '&'), as
// text: for URLs without a fragment, such as configured endpoints.
std::string AppendQuery(std::string url, const FormFields& fields);

// An absolute http(s) URL, as libcurl reads it.
struct HttpUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // normalized (NormalizeHost); IPv6 without brackets
  int port = 0;        // explicit, else the scheme's
  std::string path;    // "/" when empty; without query or fragment
};

// InvalidArgument, its message starting with `name`, unless `url` is at
// most `max_length` bytes without spaces or control characters, which
// libcurl reads as http or https, without a user name or password, with a
// valid host and a port in 1-65535.
Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view name, size_t max_length);

// `url` (one ParseHttpUrl accepts) with the encoded fields appended to its
// query, before any fragment, as libcurl rebuilds it. Internal if libcurl
// cannot (a caller must then refuse, not send the URL without them). The
// encoded fields are wiped after use; copies inside libcurl's URL handle
// and the returned URL are not (best effort, as with any string).
Result<std::string> AppendQueryToHttpUrl(const std::string& url, const FormFields& fields);

}  // namespace latchkey
