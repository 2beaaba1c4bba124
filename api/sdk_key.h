// The caller's Latchkey key as the official provider SDKs send their own,
// for the proxy's drop-in base URLs (/proxy/{credential}/...): an agent
// points an SDK at Latchkey and gives it its Latchkey key as the SDK's API
// key, and the SDK puts it where its provider expects one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.h"

namespace latchkey {

// "Authorization: Bearer <key>" -> key (the scheme is case-insensitive).
std::optional<std::string> BearerToken(const HttpRequest& request);

// The key from, in order: x-api-key (Anthropic), x-goog-api-key (Google),
// api-key (Azure OpenAI), the query parameter "key" (Google). nullopt if
// none holds one. (Authorization: Bearer, OpenAI's way, is read first by
// the app, as for every route.)
std::optional<std::string> SdkKey(const HttpRequest& request);

// Whether a caller's header carries `key` in one of those places (so it is
// removed before forwarding): Authorization as "Bearer <key>", or one of
// the headers above with exactly `key`, alone or in a list (a header sent
// more than once arrives joined with ", ").
bool CarriesKey(std::string_view header_name, std::string_view value, std::string_view key);

// `raw_query` without the "key" parameters whose value is `key` (name and
// value compared percent-decoded), the rest as sent, in order.
std::string QueryWithoutKey(std::string_view raw_query, std::string_view key);

}  // namespace latchkey
