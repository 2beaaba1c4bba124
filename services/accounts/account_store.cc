#include "services/accounts/account_store.h"

namespace latchkey {
namespace {

Account FromRow(const Row& row) { return Account{row.Text(0), row.Text(1), FromUnix(row.Int(2))}; }

}  // namespace

const std::vector<Migration>& AccountStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE accounts ("
       " id TEXT PRIMARY KEY,"
       " name TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL)"},
  };
  return kMigrations;
}

Status AccountStore::Insert(SqlExecutor& tx, const Account& account) {
  return tx
      .Execute("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
               {account.id, account.name, ToUnix(account.created_at)})
      .status();
}

Result<std::vector<Account>> AccountStore::List(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(
      auto rows,
      exec.Query("SELECT id, name, created_at FROM accounts ORDER BY created_at, id", {}));
  std::vector<Account> out;
  out.reserve(rows.size());
  for (const Row& row : rows) out.push_back(FromRow(row));
  return out;
}

Result<std::optional<Account>> AccountStore::Get(SqlExecutor& exec, const std::string& id) {
  ASSIGN_OR_RETURN(auto rows,
                   exec.Query("SELECT id, name, created_at FROM accounts WHERE id = ?", {id}));
  if (rows.empty()) return std::optional<Account>();
  return std::optional<Account>(FromRow(rows[0]));
}

Result<bool> AccountStore::Delete(SqlExecutor& tx, const std::string& id) {
  ASSIGN_OR_RETURN(int64_t removed, tx.Execute("DELETE FROM accounts WHERE id = ?", {id}));
  return removed > 0;
}

Status AccountStore::DeleteOwnedRows(SqlExecutor& tx, const std::string& table,
                                     const std::string& account_id) {
  return tx.Execute("DELETE FROM " + table + " WHERE account_id = ?", {account_id}).status();
}

}  // namespace latchkey
