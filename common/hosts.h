// Host names and the allowed-hosts patterns credentials carry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace latchkey {

// A host name, lower-cased, without a trailing dot; nullopt if it is not a
// valid DNS name or IP literal.
std::optional<std::string> NormalizeHost(std::string_view host);

// An allowed-hosts entry: "api.example.com" (exact) or "*.example.com" (any
// name ending in ".example.com", not example.com itself), either one
// optionally with ":port" ("127.0.0.1:9000", "[::1]:9000"), which then
// must match too. InvalidArgument for anything else.
Status ValidateHostPattern(std::string_view pattern);
// `port`: the URL's port, explicit or its scheme's; 0 when unknown (then
// only patterns without a port match).
bool HostMatches(std::string_view pattern, std::string_view host, int port);
bool HostAllowed(const std::vector<std::string>& patterns, std::string_view host, int port);

}  // namespace latchkey
