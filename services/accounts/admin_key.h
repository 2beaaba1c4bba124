// AdminKey: the operator credential for /admin routes.
//
// Either LATCHKEY_ADMIN_KEY (kept in memory only as its SHA-256) or, when
// that is unset, a key generated on the first start whose hash is stored in
// `server_settings`; the plaintext is handed back once to be printed.
// `latchkeyd admin-key rotate` (Rotate) replaces the stored one; running
// servers pick the new hash up with Reload.
//
// Thread-safety: Verify and Reload are safe from any thread; copies share
// one hash.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

class AdminKey {
 public:
  static const std::vector<Migration>& Migrations();

  // `configured`: the value of LATCHKEY_ADMIN_KEY, if set (at least 16
  // characters, else InvalidArgument). `generated` receives the new key when
  // one was generated now (first start without a configured key).
  static Result<AdminKey> Initialize(Database& db, const std::optional<std::string>& configured,
                                     std::optional<std::string>* generated);

  // Stores a new generated key in place of the stored one and audits it
  // (admin_key.rotate, on the system chain) in one transaction; returns
  // the key, to be shown once. FailedPrecondition when none is stored (a
  // database no server has started on: likely the wrong one).
  static Result<std::string> Rotate(Database& db, const AuditLog& audit, const AuditContext& ctx);

  // Constant-time check of a presented key.
  bool Verify(std::string_view presented) const;

  // Takes up the stored hash if it changed (a rotation); a no-op for a key
  // from LATCHKEY_ADMIN_KEY.
  Status Reload(SqlExecutor& db) const;

 private:
  struct State {
    std::mutex mu;
    std::string hash;  // hex SHA-256 of the admin key; guarded by mu
  };
  AdminKey(std::string hash, bool configured)
      : state_(std::make_shared<State>()), configured_(configured) {
    state_->hash = std::move(hash);
  }
  std::shared_ptr<State> state_;
  bool configured_;
};

}  // namespace latchkey
