// DataKeyStore: the SQL behind the envelope's data keys (envelope.h): one
// wrapped data key per account. Stateless; every function runs on the
// executor it is given, so a key is created or removed inside the
// transaction that creates or removes its account.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

class DataKeyStore {
 public:
  static const std::vector<Migration>& Migrations();

  // A data key wrapped by the master key `master_key_id`.
  struct WrappedKey {
    std::string master_key_id;
    Bytes wrapped;
  };

  static Status Insert(SqlExecutor& tx, const std::string& account_id, const WrappedKey& key,
                       TimePoint now);
  // nullopt if the account has no data key.
  static Result<std::optional<WrappedKey>> Get(SqlExecutor& exec, const std::string& account_id);
  // Every account's key, by account id.
  static Result<std::vector<std::pair<std::string, WrappedKey>>> All(SqlExecutor& exec);
  static Status Rewrap(SqlExecutor& tx, const std::string& account_id, const WrappedKey& key,
                       TimePoint now);
  static Status Delete(SqlExecutor& tx, const std::string& account_id);
  // The ids of the master keys that wrap some data key.
  static Result<std::vector<std::string>> MasterKeyIds(SqlExecutor& exec);
  static Result<int64_t> Count(SqlExecutor& exec);
};

}  // namespace latchkey
