#include "services/accounts/admin_key.h"

#include "common/crypto.h"

namespace latchkey {

const std::vector<Migration>& AdminKey::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)"},
  };
  return kMigrations;
}

Result<AdminKey> AdminKey::Initialize(Database& db, const std::optional<std::string>& configured,
                                      std::optional<std::string>* generated) {
  generated->reset();
  if (configured) {
    if (configured->size() < 16) {
      return InvalidArgument("LATCHKEY_ADMIN_KEY must be at least 16 characters");
    }
    return AdminKey(Sha256Hex(*configured));
  }
  ASSIGN_OR_RETURN(auto rows,
                   db.Query("SELECT value FROM server_settings WHERE name = 'admin_key_hash'", {}));
  if (!rows.empty()) return AdminKey(rows[0].Text(0));
  Bytes secret = RandomBytes(32);
  std::string key = "lk_admin." + Base64UrlEncode(AsView(secret));
  SecureWipe(secret.data(), secret.size());
  // Replicas starting together on one empty database race here: the first
  // insert wins, and the others use (and do not print) its key.
  ASSIGN_OR_RETURN(
      int64_t inserted,
      db.Execute("INSERT INTO server_settings (name, value) VALUES ('admin_key_hash', ?)"
                 " ON CONFLICT (name) DO NOTHING",
                 {Sha256Hex(key)}));
  if (inserted == 0) {
    ASSIGN_OR_RETURN(rows, db.Query("SELECT value FROM server_settings"
                                    " WHERE name = 'admin_key_hash'",
                                    {}));
    if (rows.empty()) return Internal("the stored admin key vanished");
    return AdminKey(rows[0].Text(0));
  }
  AdminKey admin(Sha256Hex(key));
  *generated = std::move(key);
  return admin;
}

bool AdminKey::Verify(std::string_view presented) const {
  return ConstantTimeEquals(Sha256Hex(presented), hash_);
}

}  // namespace latchkey
