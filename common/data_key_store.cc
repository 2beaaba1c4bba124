#include "common/data_key_store.h"

#include <utility>

namespace latchkey {

const std::vector<Migration>& DataKeyStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE data_keys ("
       " account_id TEXT PRIMARY KEY,"
       " master_key_id TEXT NOT NULL,"
       " wrapped_key ${BLOB} NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " rewrapped_at ${BIGINT})"},
  };
  return kMigrations;
}

Status DataKeyStore::Insert(SqlExecutor& tx, const std::string& account_id, const WrappedKey& key,
                            TimePoint now) {
  return tx
      .Execute(
          "INSERT INTO data_keys (account_id, master_key_id, wrapped_key, created_at)"
          " VALUES (?, ?, ?, ?)",
          {account_id, key.master_key_id, key.wrapped, ToUnix(now)})
      .status();
}

Result<std::optional<DataKeyStore::WrappedKey>> DataKeyStore::Get(SqlExecutor& exec,
                                                                  const std::string& account_id) {
  ASSIGN_OR_RETURN(
      auto rows, exec.Query("SELECT master_key_id, wrapped_key FROM data_keys WHERE account_id = ?",
                            {account_id}));
  if (rows.empty()) return std::optional<WrappedKey>();
  return std::optional<WrappedKey>(WrappedKey{rows[0].Text(0), rows[0].Blob(1)});
}

Result<std::vector<std::pair<std::string, DataKeyStore::WrappedKey>>> DataKeyStore::All(
    SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows,
                   exec.Query("SELECT account_id, master_key_id, wrapped_key FROM data_keys", {}));
  std::vector<std::pair<std::string, WrappedKey>> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    out.emplace_back(row.Text(0), WrappedKey{row.Text(1), row.Blob(2)});
  }
  return out;
}

Status DataKeyStore::Rewrap(SqlExecutor& tx, const std::string& account_id, const WrappedKey& key,
                            TimePoint now) {
  return tx
      .Execute(
          "UPDATE data_keys SET master_key_id = ?, wrapped_key = ?, rewrapped_at = ?"
          " WHERE account_id = ?",
          {key.master_key_id, key.wrapped, ToUnix(now), account_id})
      .status();
}

Status DataKeyStore::Delete(SqlExecutor& tx, const std::string& account_id) {
  return tx.Execute("DELETE FROM data_keys WHERE account_id = ?", {account_id}).status();
}

Result<std::vector<std::string>> DataKeyStore::MasterKeyIds(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT DISTINCT master_key_id FROM data_keys", {}));
  std::vector<std::string> out;
  for (const Row& row : rows) out.push_back(row.Text(0));
  return out;
}

Result<int64_t> DataKeyStore::Count(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT COUNT(*) FROM data_keys", {}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

}  // namespace latchkey
