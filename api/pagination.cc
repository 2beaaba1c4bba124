#include "api/pagination.h"

#include <nlohmann/json.hpp>

#include "api/params.h"
#include "common/crypto.h"

namespace latchkey {
namespace {

// Cursors are base64url of "<time>.<id>"; ids never need escaping since
// the id is everything after the first dot.
constexpr char kSeparator = '.';

}  // namespace

std::string EncodeCursor(const PageKey& key) {
  return Base64UrlEncode(std::to_string(key.time) + kSeparator + key.id);
}

std::optional<PageKey> DecodeCursor(const std::string& text) {
  if (text.empty() || text.size() > 1024) return std::nullopt;
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) return std::nullopt;
  std::string plain(bytes->begin(), bytes->end());
  size_t dot = plain.find(kSeparator);
  if (dot == std::string::npos) return std::nullopt;
  auto time = ParseInt64(std::string_view(plain).substr(0, dot));
  if (!time) return std::nullopt;
  return PageKey{*time, plain.substr(dot + 1)};
}

Result<PageRequest> ParsePageRequest(const HttpRequest& request) {
  PageRequest out;
  ASSIGN_OR_RETURN(auto limit, QueryInt(request, "limit", 1, kMaxPageLimit));
  if (limit) out.limit = static_cast<int>(*limit);
  if (auto cursor = request.Query("cursor")) {
    out.after = DecodeCursor(*cursor);
    if (!out.after) {
      return InvalidArgument(
          "query parameter cursor must be a nextCursor this list answered (or left out for the "
          "first page)");
    }
  }
  return out;
}

bool NewerFirst(const PageKey& a, const PageKey& b) {
  if (a.time != b.time) return a.time > b.time;
  return a.id > b.id;
}

bool ByIdAscending(const PageKey& a, const PageKey& b) { return a.id < b.id; }

nlohmann::json ListBody(nlohmann::json data, const std::optional<PageKey>& last) {
  return {{"data", std::move(data)},
          {"nextCursor", last ? nlohmann::json(EncodeCursor(*last)) : nlohmann::json(nullptr)}};
}

}  // namespace latchkey
