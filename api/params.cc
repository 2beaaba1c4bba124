#include "api/params.h"

#include <charconv>

namespace latchkey {

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<std::optional<int64_t>> QueryInt(const HttpRequest& request, const std::string& name,
                                        int64_t min, int64_t max) {
  auto text = request.Query(name);
  if (!text) return std::optional<int64_t>();
  auto value = ParseInt64(*text);
  if (!value || *value < min || *value > max) {
    return InvalidArgument("query parameter " + name + " must be an integer from " +
                           std::to_string(min) + " to " + std::to_string(max));
  }
  return std::optional<int64_t>(*value);
}

Result<std::optional<TimePoint>> QueryTime(const HttpRequest& request, const std::string& name) {
  auto text = request.Query(name);
  if (!text) return std::optional<TimePoint>();
  auto t = ParseIso8601(*text);
  if (!t) {
    return InvalidArgument("query parameter " + name +
                           " must be an ISO 8601 UTC time like 2030-01-01T00:00:00Z");
  }
  return std::optional<TimePoint>(*t);
}

}  // namespace latchkey
