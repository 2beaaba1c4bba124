// AccountStore: the SQL behind AccountService (table accounts) and the
// sweep that removes an account's rows from the tables other services own.
// Stateless; every function runs on the executor it is given, so callers
// compose them inside one transaction with the audit event that records
// the change.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"
#include "services/accounts/accounts.h"

namespace latchkey {

class AccountStore {
 public:
  // Applied under the component name "accounts"; the list and its SQL never
  // change, only grow, so existing databases keep working.
  static const std::vector<Migration>& Migrations();

  static Status Insert(SqlExecutor& tx, const Account& account);
  // Every account, oldest first (ties by id).
  static Result<std::vector<Account>> List(SqlExecutor& exec);
  // nullopt if there is no such account.
  static Result<std::optional<Account>> Get(SqlExecutor& exec, const std::string& id);
  // Returns false if there was no such account.
  static Result<bool> Delete(SqlExecutor& tx, const std::string& id);
  // Removes the account's rows from `table`, which has an account_id column.
  // The name is pasted into the SQL: it must come from code, never from a
  // request.
  static Status DeleteOwnedRows(SqlExecutor& tx, const std::string& table,
                                const std::string& account_id);
};

}  // namespace latchkey
