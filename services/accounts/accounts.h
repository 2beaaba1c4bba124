// AccountService: tenants. Creating an account creates its data key and its
// first API key (all scopes); deleting one removes every row it owns, in
// one transaction, from every table registered with RegisterOwnedTable.
//
// Thread-safety: safe for concurrent use after setup (RegisterOwnedTable is
// for startup only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "services/accounts/api_keys.h"

namespace latchkey {

struct Account {
  std::string id;  // "acct_..."
  std::string name;
  TimePoint created_at;
};

struct CreatedAccount {
  Account account;
  CreatedApiKey first_key;  // holds the only copy of the key's secret
};

class AccountService {
 public:
  AccountService(Database& db, Envelope& envelope, AuditLog& audit, ApiKeyService& keys,
                 const Clock& clock)
      : db_(db), envelope_(envelope), audit_(audit), keys_(keys), clock_(clock) {}

  static const std::vector<Migration>& Migrations();

  // Tables (with an `account_id` column) whose rows die with their account.
  void RegisterOwnedTable(std::string table) { owned_tables_.push_back(std::move(table)); }
  // Runs with the id of each deleted account once the deletion has
  // committed, for services that cache the account's rows.
  void OnDeleted(std::function<void(const std::string&)> forget) {
    on_deleted_.push_back(std::move(forget));
  }

  // InvalidArgument for a bad name.
  Result<CreatedAccount> Create(const std::string& name, const AuditContext& ctx);
  Result<std::vector<Account>> List();
  // NotFound if there is no such account.
  Result<Account> Get(const std::string& id);
  // Removes the account and all its data; NotFound if absent.
  Status Delete(const std::string& id, const AuditContext& ctx);

 private:
  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  ApiKeyService& keys_;
  const Clock& clock_;
  std::vector<std::string> owned_tables_;
  std::vector<std::function<void(const std::string&)>> on_deleted_;
};

}  // namespace latchkey
