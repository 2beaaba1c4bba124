#include "services/accounts/server_settings_store.h"

namespace latchkey {

const std::vector<Migration>& ServerSettingsStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)"},
  };
  return kMigrations;
}

Result<std::optional<std::string>> ServerSettingsStore::AdminKeyHash(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(
      auto rows, exec.Query("SELECT value FROM server_settings WHERE name = 'admin_key_hash'", {}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

Result<bool> ServerSettingsStore::InsertAdminKeyHash(SqlExecutor& exec, const std::string& hash) {
  ASSIGN_OR_RETURN(
      int64_t inserted,
      exec.Execute("INSERT INTO server_settings (name, value) VALUES ('admin_key_hash', ?)"
                   " ON CONFLICT (name) DO NOTHING",
                   {hash}));
  return inserted > 0;
}

Result<bool> ServerSettingsStore::ReplaceAdminKeyHash(SqlExecutor& exec, const std::string& hash) {
  ASSIGN_OR_RETURN(
      int64_t updated,
      exec.Execute("UPDATE server_settings SET value = ? WHERE name = 'admin_key_hash'", {hash}));
  return updated > 0;
}

}  // namespace latchkey
