// AdminKey: the operator credential for /admin routes.
//
// Either LATCHKEY_ADMIN_KEY (kept in memory only as its SHA-256) or, when
// that is unset, a key generated on the first start whose hash is stored in
// `server_settings`; the plaintext is handed back once to be printed.
//
// Thread-safety: immutable after Initialize; Verify is safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

  // Constant-time check of a presented key.
  bool Verify(std::string_view presented) const;

 private:
  explicit AdminKey(std::string hash) : hash_(std::move(hash)) {}
  std::string hash_;  // hex SHA-256 of the admin key
};

}  // namespace latchkey
