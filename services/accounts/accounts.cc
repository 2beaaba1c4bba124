#include "services/accounts/accounts.h"

#include <optional>

#include "common/ids.h"
#include "common/names.h"
#include "services/accounts/account_store.h"
#include "services/accounts/scopes.h"

namespace latchkey {

const std::vector<Migration>& AccountService::Migrations() { return AccountStore::Migrations(); }

Result<CreatedAccount> AccountService::Create(const std::string& name, const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidateName(name));
  CreatedAccount created;
  created.account = Account{NewTimeOrderedId("acct"), name, clock_.Now()};
  const Account& account = created.account;
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(AccountStore::Insert(tx, account));
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

Result<std::vector<Account>> AccountService::List() { return AccountStore::List(db_); }

Result<Account> AccountService::Get(const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<Account> account, AccountStore::Get(db_, id));
  if (!account) return NotFound("account not found");
  return std::move(*account);
}

Status AccountService::Delete(const std::string& id, const AuditContext& ctx) {
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool removed, AccountStore::Delete(tx, id));
    if (!removed) return NotFound("account not found");
    for (const std::string& table : owned_tables_) {
      // Table names come from code (RegisterOwnedTable), never from a request.
      RETURN_IF_ERROR(AccountStore::DeleteOwnedRows(tx, table, id));
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
