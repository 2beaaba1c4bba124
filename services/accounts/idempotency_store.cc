#include "services/accounts/idempotency_store.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "account_id, key_hash, request_hash, status, response, locked_until, created_at, lease";

IdempotencyRow FromRow(const Row& r) {
  IdempotencyRow out;
  out.account_id = r.Text(0);
  out.key_hash = r.Text(1);
  out.request_hash = r.Text(2);
  if (!r.IsNull(3)) out.status = static_cast<int>(r.Int(3));
  out.response = r.IsNull(4) ? "" : r.Text(4);
  out.locked_until = r.Int(5);
  out.created_at = r.Int(6);
  out.lease = r.Text(7);
  return out;
}

}  // namespace

const std::vector<Migration>& IdempotencyStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE idempotency_keys (account_id TEXT NOT NULL, key_hash TEXT NOT NULL,"
       " request_hash TEXT NOT NULL, status INTEGER, response TEXT,"
       " locked_until ${BIGINT} NOT NULL, created_at ${BIGINT} NOT NULL, lease TEXT NOT NULL,"
       " PRIMARY KEY (account_id, key_hash));"
       "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)"},
  };
  return kMigrations;
}

const std::vector<std::string>& IdempotencyStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"idempotency_keys"};
  return kTables;
}

Result<bool> IdempotencyStore::InsertIfAbsent(SqlExecutor& tx, const IdempotencyRow& row) {
  ASSIGN_OR_RETURN(int64_t inserted,
                   tx.Execute(std::string("INSERT INTO idempotency_keys (") + kColumns +
                                  ") VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)"
                                  " ON CONFLICT (account_id, key_hash) DO NOTHING",
                              {row.account_id, row.key_hash, row.request_hash, row.locked_until,
                               row.created_at, row.lease}));
  return inserted > 0;
}

Result<std::optional<IdempotencyRow>> IdempotencyStore::Get(SqlExecutor& exec,
                                                            const std::string& account_id,
                                                            const std::string& key_hash) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kColumns +
                                             " FROM idempotency_keys"
                                             " WHERE account_id = ? AND key_hash = ?",
                                         {account_id, key_hash}));
  if (rows.empty()) return std::optional<IdempotencyRow>();
  return std::optional<IdempotencyRow>(FromRow(rows[0]));
}

Result<bool> IdempotencyStore::TakeOver(SqlExecutor& tx, const IdempotencyRow& row,
                                        const std::string& expected_lease) {
  ASSIGN_OR_RETURN(int64_t updated,
                   tx.Execute("UPDATE idempotency_keys SET request_hash = ?, status = NULL,"
                              " response = NULL, locked_until = ?, created_at = ?, lease = ?"
                              " WHERE account_id = ? AND key_hash = ? AND lease = ?",
                              {row.request_hash, row.locked_until, row.created_at, row.lease,
                               row.account_id, row.key_hash, expected_lease}));
  return updated > 0;
}

Status IdempotencyStore::Complete(SqlExecutor& tx, const std::string& account_id,
                                  const std::string& key_hash, const std::string& lease, int status,
                                  const std::string& response) {
  return tx
      .Execute(
          "UPDATE idempotency_keys SET status = ?, response = ?"
          " WHERE account_id = ? AND key_hash = ? AND lease = ? AND status IS NULL",
          {int64_t{status}, response, account_id, key_hash, lease})
      .status();
}

Status IdempotencyStore::Release(SqlExecutor& tx, const std::string& account_id,
                                 const std::string& key_hash, const std::string& lease) {
  return tx
      .Execute(
          "DELETE FROM idempotency_keys WHERE account_id = ? AND key_hash = ?"
          " AND lease = ? AND status IS NULL",
          {account_id, key_hash, lease})
      .status();
}

Result<int64_t> IdempotencyStore::DeleteOlderThan(SqlExecutor& tx, int64_t cutoff) {
  return tx.Execute("DELETE FROM idempotency_keys WHERE created_at < ?", {cutoff});
}

}  // namespace latchkey
