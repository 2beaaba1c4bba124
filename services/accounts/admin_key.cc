#include "services/accounts/admin_key.h"

#include "common/crypto.h"
#include "services/accounts/server_settings_store.h"

namespace latchkey {

const std::vector<Migration>& AdminKey::Migrations() { return ServerSettingsStore::Migrations(); }

Result<AdminKey> AdminKey::Initialize(Database& db, const std::optional<std::string>& configured,
                                      std::optional<std::string>* generated) {
  generated->reset();
  if (configured) {
    if (configured->size() < 16) {
      return InvalidArgument("LATCHKEY_ADMIN_KEY must be at least 16 characters");
    }
    return AdminKey(Sha256Hex(*configured));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, ServerSettingsStore::AdminKeyHash(db));
  if (stored) return AdminKey(std::move(*stored));
  Bytes secret = RandomBytes(32);
  std::string key = "lk_admin." + Base64UrlEncode(AsView(secret));
  SecureWipe(secret.data(), secret.size());
  // Replicas starting together on one empty database race here: the first
  // insert wins, and the others use (and do not print) its key.
  ASSIGN_OR_RETURN(bool inserted, ServerSettingsStore::InsertAdminKeyHash(db, Sha256Hex(key)));
  if (!inserted) {
    SecureWipe(key.data(), key.size());
    ASSIGN_OR_RETURN(stored, ServerSettingsStore::AdminKeyHash(db));
    if (!stored) return Internal("the stored admin key vanished");
    return AdminKey(std::move(*stored));
  }
  AdminKey admin(Sha256Hex(key));
  *generated = std::move(key);
  return admin;
}

bool AdminKey::Verify(std::string_view presented) const {
  return ConstantTimeEquals(Sha256Hex(presented), hash_);
}

}  // namespace latchkey
