// The one list contract: every list route answers
//   {"data": [...], "nextCursor": "..." | null}
// and takes `limit` (1-1000, default 50) and `cursor` (what a previous page
// answered as nextCursor). Pages are keyset pages: a cursor names the sort
// key of the last item sent, so rows inserted or deleted meanwhile never
// shift an item into two pages or out of all of them.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/status.h"

namespace latchkey {

inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 1000;

// Where an item sorts: newest first by (time, id), or by id alone for the
// lists documented as ordered by name (time 0 for all).
struct PageKey {
  int64_t time = 0;
  std::string id;
};

struct PageRequest {
  std::string list;  // the list's route pattern: a cursor is only good for it
  int limit = kDefaultPageLimit;
  std::optional<PageKey> after;  // the last key of the previous page
};

// The `limit` and `cursor` query parameters of the list `request.route`;
// 400 naming the parameter (a cursor of another list is one).
Result<PageRequest> ParsePageRequest(const HttpRequest& request);

// The opaque cursor text of `key` in `list`, and back (nullopt when `text`
// is not a cursor of `list`). A cursor is a position, not a credential: it
// reads nothing the caller could not read from the first page on.
std::string EncodeCursor(const std::string& list, const PageKey& key);
std::optional<PageKey> DecodeCursor(const std::string& list, const std::string& text);

// True when `a` sorts before `b`: newest first, ties by id descending.
bool NewerFirst(const PageKey& a, const PageKey& b);
// True when `a` sorts before `b` by id ascending (name-ordered lists).
bool ByIdAscending(const PageKey& a, const PageKey& b);

// The list body: {"data": data, "nextCursor": cursor of `last` or null}.
nlohmann::json ListBody(const PageRequest& page, nlohmann::json data,
                        const std::optional<PageKey>& last);

// One page of `items`, which need not be sorted: sorts them with `before`
// (NewerFirst or ByIdAscending) on `key_of(item)`, keeps those after the
// request's cursor, and returns at most `limit` of them with the key of
// the last one when more follow.
template <typename T, typename KeyOf>
std::vector<T> Paginate(std::vector<T> items, const PageRequest& request, KeyOf key_of,
                        bool (*before)(const PageKey&, const PageKey&),
                        std::optional<PageKey>* next) {
  std::sort(items.begin(), items.end(),
            [&](const T& a, const T& b) { return before(key_of(a), key_of(b)); });
  auto first = items.begin();
  if (request.after) {
    first =
        std::upper_bound(items.begin(), items.end(), *request.after,
                         [&](const PageKey& k, const T& item) { return before(k, key_of(item)); });
  }
  std::vector<T> page;
  for (auto it = first; it != items.end() && page.size() < static_cast<size_t>(request.limit);
       ++it) {
    page.push_back(std::move(*it));
  }
  size_t remaining = static_cast<size_t>(items.end() - first);
  *next = remaining > page.size() ? std::optional<PageKey>(key_of(page.back())) : std::nullopt;
  return page;
}

}  // namespace latchkey
