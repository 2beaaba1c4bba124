// TokenFilter: which of an account's OAuth tokens OAuthTokens::List (and
// its store) returns, and from where in the newest-first order.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace latchkey {

struct TokenFilter {
  // A place in the newest-first order: (created_at, id).
  struct Position {
    int64_t created_at = 0;
    std::string id;
  };
  std::optional<std::string> identifier_id;
  std::optional<std::string> resource;
  int64_t limit = 100;
  std::optional<Position> before;  // only rows after it in that order
};

}  // namespace latchkey
