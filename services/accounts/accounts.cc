#include "services/accounts/accounts.h"

#include <optional>

#include "common/ids.h"
#include "common/names.h"
#include "services/accounts/scopes.h"

namespace latchkey {

const std::vector<Migration>& AccountService::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE accounts ("
       " id TEXT PRIMARY KEY,"
       " name TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL)"},
  };
  return kMigrations;
}

Result<CreatedAccount> AccountService::Create(const std::string& name, const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidateName(name));
  CreatedAccount created;
  created.account = Account{NewId("acct"), name, clock_.Now()};
  const Account& account = created.account;
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(tx.Execute("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
                               {account.id, account.name, ToUnix(account.created_at)})
                        .status());
    RETURN_IF_ERROR(envelope_.CreateDataKey(tx, account.id));
    AuditEvent event = AuditEvent::For(ctx, account.id, "account.create", account.id);
    event.details = {{"name", account.name}};
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    ASSIGN_OR_RETURN(
        created.first_key,
        keys_.CreateInTx(tx, account.id, NewApiKey{"default", scopes::All(), {}}, ctx));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return created;
}

Result<std::vector<Account>> AccountService::List() {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, name, created_at FROM accounts ORDER BY created_at, id", {}));
  std::vector<Account> out;
  for (const Row& row : rows)
    out.push_back(Account{row.Text(0), row.Text(1), FromUnix(row.Int(2))});
  return out;
}

Result<Account> AccountService::Get(const std::string& id) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query("SELECT id, name, created_at FROM accounts WHERE id = ?", {id}));
  if (rows.empty()) return NotFound("account not found");
  return Account{rows[0].Text(0), rows[0].Text(1), FromUnix(rows[0].Int(2))};
}

Status AccountService::Delete(const std::string& id, const AuditContext& ctx) {
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(int64_t removed, tx.Execute("DELETE FROM accounts WHERE id = ?", {id}));
    if (removed == 0) return NotFound("account not found");
    for (const std::string& table : owned_tables_) {
      // Table names come from code, never from a request.
      RETURN_IF_ERROR(tx.Execute("DELETE FROM " + table + " WHERE account_id = ?", {id}).status());
    }
    RETURN_IF_ERROR(ApiKeyService::DeleteAll(tx, id));
    RETURN_IF_ERROR(envelope_.DeleteDataKey(tx, id));
    RETURN_IF_ERROR(audit_.DeleteChain(tx, id));
    AuditEvent event = AuditEvent::For(ctx, kSystemChain, "account.delete", id);
    return audit_.Append(tx, std::move(event)).status();
  }));
  keys_.ForgetAccount(id);
  for (const auto& forget : on_deleted_) forget(id);
  return Status::Ok();
}

}  // namespace latchkey
