// ServerSettingsStore: the SQL behind AdminKey (table server_settings, one
// row per named setting). Stateless; every function runs on the executor it
// is given.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

class ServerSettingsStore {
 public:
  // Applied under the component name "admin"; the list and its SQL never
  // change, only grow, so existing databases keep working.
  static const std::vector<Migration>& Migrations();

  // The stored hex SHA-256 of the generated admin key; nullopt if none yet.
  static Result<std::optional<std::string>> AdminKeyHash(SqlExecutor& exec);
  // Stores `hash` unless a hash is stored already; returns false (storing
  // nothing) if one was, so concurrent first starts agree on one key.
  static Result<bool> InsertAdminKeyHash(SqlExecutor& exec, const std::string& hash);
  // Stores `hash` in place of the stored one; false (nothing written) when
  // none is stored.
  static Result<bool> ReplaceAdminKeyHash(SqlExecutor& exec, const std::string& hash);
};

}  // namespace latchkey
