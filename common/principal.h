// Principal: who is calling, once an API key has authenticated. Made by
// ApiKeyService (services/accounts); read by the routes and by services
// that act for a caller (the MCP server), without their depending on how
// keys are stored.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace latchkey {

struct Principal {
  std::string account_id;
  std::string key_id;
  std::vector<std::string> scopes;
  std::optional<std::vector<std::string>> credentials;  // the key's proxy restriction
  std::optional<TimePoint> expires_at;

  bool HasScope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
};

}  // namespace latchkey
