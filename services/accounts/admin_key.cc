#include "services/accounts/admin_key.h"

#include "common/crypto.h"
#include "services/accounts/server_settings_store.h"

namespace latchkey {

namespace {

std::string NewKey() {
  Bytes secret = RandomBytes(32);
  std::string key = "lk_admin." + Base64UrlEncode(AsView(secret));
  SecureWipe(secret.data(), secret.size());
  return key;
}

}  // namespace

const std::vector<Migration>& AdminKey::Migrations() { return ServerSettingsStore::Migrations(); }

Result<AdminKey> AdminKey::Initialize(Database& db, const std::optional<std::string>& configured,
                                      std::optional<std::string>* generated) {
  generated->reset();
  if (configured) {
    if (configured->size() < 16) {
      return InvalidArgument("LATCHKEY_ADMIN_KEY must be at least 16 characters");
    }
    return AdminKey(Sha256Hex(*configured), true);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, ServerSettingsStore::AdminKeyHash(db));
  if (stored) return AdminKey(std::move(*stored), false);
  std::string key = NewKey();
  // Replicas starting together on one empty database race here: the first
  // insert wins, and the others use (and do not print) its key.
  ASSIGN_OR_RETURN(bool inserted, ServerSettingsStore::InsertAdminKeyHash(db, Sha256Hex(key)));
  if (!inserted) {
    SecureWipe(key.data(), key.size());
    ASSIGN_OR_RETURN(stored, ServerSettingsStore::AdminKeyHash(db));
    if (!stored) return Internal("the stored admin key vanished");
    return AdminKey(std::move(*stored), false);
  }
  AdminKey admin(Sha256Hex(key), false);
  *generated = std::move(key);
  return admin;
}

Result<std::string> AdminKey::Rotate(Database& db, const AuditLog& audit, const AuditContext& ctx) {
  std::string key = NewKey();
  Status stored = db.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool replaced, ServerSettingsStore::ReplaceAdminKeyHash(tx, Sha256Hex(key)));
    if (!replaced) {
      return FailedPrecondition(
          "this database holds no admin key to rotate: no server has started on it (check "
          "--data-dir or --database-url)");
    }
    return audit.Append(tx, AuditEvent::For(ctx, kSystemChain, "admin_key.rotate", "admin_key"))
        .status();
  });
  if (!stored.ok()) {
    SecureWipe(key.data(), key.size());
    return stored;
  }
  return key;
}

bool AdminKey::Verify(std::string_view presented) const {
  std::string hash = Sha256Hex(presented);
  std::lock_guard<std::mutex> lock(state_->mu);
  return ConstantTimeEquals(hash, state_->hash);
}

Status AdminKey::Reload(SqlExecutor& db) const {
  if (configured_) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<std::string> stored, ServerSettingsStore::AdminKeyHash(db));
  if (!stored) return Status::Ok();
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->hash = std::move(*stored);
  return Status::Ok();
}

}  // namespace latchkey
