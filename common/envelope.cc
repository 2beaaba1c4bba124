#include "common/envelope.h"

namespace latchkey {
namespace {

constexpr uint8_t kSealVersion = 1;

std::string DekAad(std::string_view account_id) {
  return "latchkey-dek:" + std::string(account_id);
}

std::string ValueAad(std::string_view account, std::string_view kind, std::string_view resource) {
  std::string aad(account);
  aad += ':';
  aad += kind;
  aad += ':';
  aad += resource;
  return aad;
}

}  // namespace

const std::vector<Migration>& Envelope::Migrations() {
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

Status Envelope::CreateDataKey(SqlExecutor& tx, std::string_view account_id) {
  SecretBytes dek(RandomBytes(kAesKeySize));
  ASSIGN_OR_RETURN(Bytes wrapped, keys_.Wrap(dek.view(), DekAad(account_id)));
  return tx
      .Execute(
          "INSERT INTO data_keys (account_id, master_key_id, wrapped_key, created_at)"
          " VALUES (?, ?, ?, ?)",
          {std::string(account_id), keys_.active_id(), std::move(wrapped), ToUnix(clock_.Now())})
      .status();
}

Status Envelope::DeleteDataKey(SqlExecutor& tx, std::string_view account_id) {
  cache_.Forget([&](const std::string& key, const WrappedKey&) { return key == account_id; });
  return tx.Execute("DELETE FROM data_keys WHERE account_id = ?", {std::string(account_id)})
      .status();
}

Result<Envelope::WrappedKey> Envelope::ReadDataKey(SqlExecutor& exec,
                                                   std::string_view account_id) const {
  ASSIGN_OR_RETURN(
      auto rows, exec.Query("SELECT master_key_id, wrapped_key FROM data_keys WHERE account_id = ?",
                            {std::string(account_id)}));
  if (rows.empty()) return NotFound("account has no data key");
  return WrappedKey{rows[0].Text(0), rows[0].Blob(1)};
}

Result<SecretBytes> Envelope::Unwrap(const WrappedKey& key, std::string_view account_id) const {
  return keys_.Unwrap(key.master_key_id, AsView(key.wrapped), DekAad(account_id));
}

Result<Bytes> Envelope::Seal(SqlExecutor& exec, std::string_view account_id, std::string_view kind,
                             std::string_view resource_id, std::string_view plaintext) const {
  ASSIGN_OR_RETURN(WrappedKey wrapped, ReadDataKey(exec, account_id));
  ASSIGN_OR_RETURN(SecretBytes dek, Unwrap(wrapped, account_id));
  ASSIGN_OR_RETURN(Bytes sealed,
                   AesGcmSeal(dek, plaintext, ValueAad(account_id, kind, resource_id)));
  sealed.insert(sealed.begin(), kSealVersion);
  return sealed;
}

Result<SecretBytes> Envelope::Open(SqlExecutor& exec, std::string_view account_id,
                                   std::string_view kind, std::string_view resource_id,
                                   std::string_view sealed) const {
  if (sealed.empty() || static_cast<uint8_t>(sealed[0]) != kSealVersion) {
    return DataLoss("sealed value has an unknown format");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const WrappedKey> wrapped,
                   cache_.Get(std::string(account_id), clock_.Now(),
                              [&]() -> Result<std::shared_ptr<const WrappedKey>> {
                                ASSIGN_OR_RETURN(WrappedKey key, ReadDataKey(exec, account_id));
                                return std::make_shared<const WrappedKey>(std::move(key));
                              }));
  ASSIGN_OR_RETURN(SecretBytes dek, Unwrap(*wrapped, account_id));
  return AesGcmOpen(dek, sealed.substr(1), ValueAad(account_id, kind, resource_id));
}

Result<int64_t> Envelope::RewrapAll() {
  int64_t count = 0;
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT account_id, master_key_id, wrapped_key FROM data_keys", {}));
    for (const Row& row : rows) {
      std::string account = row.Text(0);
      Bytes wrapped = row.Blob(2);
      auto dek = keys_.Unwrap(row.Text(1), AsView(wrapped), DekAad(account));
      if (!dek.ok()) {
        return Status(dek.status().code(),
                      "cannot unwrap the data key of " + account + ": " + dek.status().message());
      }
      ASSIGN_OR_RETURN(Bytes rewrapped, keys_.Wrap(dek->view(), DekAad(account)));
      RETURN_IF_ERROR(
          tx.Execute("UPDATE data_keys SET master_key_id = ?, wrapped_key = ?,"
                     " rewrapped_at = ? WHERE account_id = ?",
                     {keys_.active_id(), std::move(rewrapped), ToUnix(clock_.Now()), account})
              .status());
      ++count;
    }
    return Status::Ok();
  });
  // The old wrappings still open while their master key is loaded, but the
  // cache should follow the table.
  cache_.Clear();
  if (!s.ok()) return s;
  return count;
}

Result<std::vector<std::string>> Envelope::MissingMasterKeys() {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT DISTINCT master_key_id FROM data_keys", {}));
  std::vector<std::string> missing;
  for (const Row& row : rows) {
    if (!keys_.Has(row.Text(0))) missing.push_back(row.Text(0));
  }
  return missing;
}

Result<int64_t> Envelope::CountDataKeys(SqlExecutor& exec) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT COUNT(*) FROM data_keys", {}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

}  // namespace latchkey
