// Query-parameter parsing that never throws: every malformed value becomes
// a 400 naming the parameter.
#pragma once

#include <optional>
#include <string>

#include "api/http_types.h"
#include "common/clock.h"
#include "common/status.h"

namespace latchkey {

// An integer in [min, max]; absent -> nullopt.
Result<std::optional<int64_t>> QueryInt(const HttpRequest& request, const std::string& name,
                                        int64_t min, int64_t max);
// An ISO 8601 timestamp; absent -> nullopt.
Result<std::optional<TimePoint>> QueryTime(const HttpRequest& request, const std::string& name);

// Strict decimal parse of the whole string (optional leading '-').
std::optional<int64_t> ParseInt64(std::string_view text);

}  // namespace latchkey
