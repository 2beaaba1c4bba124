#include "api/pagination.h"

#include <nlohmann/json.hpp>

#include "api/params.h"
#include "common/crypto.h"

namespace latchkey {
namespace {

// Cursors are base64url of "<list tag>.<time>.<id>": the tag (8 hex digits
// of the list's route pattern) keeps one list's cursor off another; the id
// is everything after the second dot.
constexpr char kSeparator = '.';

std::string ListTag(const std::string& list) { return Sha256Hex(list).substr(0, 8); }

}  // namespace

std::string EncodeCursor(const std::string& list, const PageKey& key) {
  return Base64UrlEncode(ListTag(list) + kSeparator + std::to_string(key.time) + kSeparator +
                         key.id);
}

std::optional<PageKey> DecodeCursor(const std::string& list, const std::string& text) {
  if (text.empty() || text.size() > 1024) return std::nullopt;
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) return std::nullopt;
  std::string plain(bytes->begin(), bytes->end());
  std::string tag = ListTag(list) + kSeparator;
  if (plain.compare(0, tag.size(), tag) != 0) return std::nullopt;
  size_t dot = plain.find(kSeparator, tag.size());
  if (dot == std::string::npos) return std::nullopt;
  auto time = ParseInt64(std::string_view(plain).substr(tag.size(), dot - tag.size()));
  if (!time) return std::nullopt;
  return PageKey{*time, plain.substr(dot + 1)};
}

Result<PageRequest> ParsePageRequest(const HttpRequest& request) {
  PageRequest out;
  out.list = request.route;
  ASSIGN_OR_RETURN(auto limit, QueryInt(request, "limit", 1, kMaxPageLimit));
  if (limit) out.limit = static_cast<int>(*limit);
  if (auto cursor = request.Query("cursor")) {
    out.after = DecodeCursor(out.list, *cursor);
    if (!out.after) {
      return InvalidArgument("query parameter cursor must be a nextCursor that " + out.list +
                             " answered, passed back as it was (leave it out for the first page)");
    }
  }
  return out;
}

bool NewerFirst(const PageKey& a, const PageKey& b) {
  if (a.time != b.time) return a.time > b.time;
  return a.id > b.id;
}

bool ByIdAscending(const PageKey& a, const PageKey& b) { return a.id < b.id; }

nlohmann::json ListBody(const PageRequest& page, nlohmann::json data,
                        const std::optional<PageKey>& last) {
  nlohmann::json next = last ? nlohmann::json(EncodeCursor(page.list, *last)) : nullptr;
  return {{"data", std::move(data)}, {"nextCursor", std::move(next)}};
}

}  // namespace latchkey
