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

const std::vector<Migration>& Envelope::Migrations() { return DataKeyStore::Migrations(); }

Status Envelope::CreateDataKey(SqlExecutor& tx, std::string_view account_id) {
  SecretBytes dek(RandomBytes(kAesKeySize));
  ASSIGN_OR_RETURN(Bytes wrapped, keys_.Wrap(dek.view(), DekAad(account_id)));
  return DataKeyStore::Insert(tx, std::string(account_id),
                              WrappedKey{keys_.active_id(), std::move(wrapped)}, clock_.Now());
}

Status Envelope::DeleteDataKey(SqlExecutor& tx, std::string_view account_id) {
  cache_.Forget([&](const std::string& key, const WrappedKey&) { return key == account_id; });
  return DataKeyStore::Delete(tx, std::string(account_id));
}

Result<Envelope::WrappedKey> Envelope::ReadDataKey(SqlExecutor& exec,
                                                   std::string_view account_id) const {
  ASSIGN_OR_RETURN(std::optional<WrappedKey> key, DataKeyStore::Get(exec, std::string(account_id)));
  if (!key) return NotFound("account has no data key");
  return std::move(*key);
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
    ASSIGN_OR_RETURN(auto keys, DataKeyStore::All(tx));
    for (const auto& [account, key] : keys) {
      auto dek = Unwrap(key, account);
      if (!dek.ok()) {
        return Status(dek.status().code(),
                      "cannot unwrap the data key of " + account + ": " + dek.status().message());
      }
      ASSIGN_OR_RETURN(Bytes rewrapped, keys_.Wrap(dek->view(), DekAad(account)));
      RETURN_IF_ERROR(DataKeyStore::Rewrap(
          tx, account, WrappedKey{keys_.active_id(), std::move(rewrapped)}, clock_.Now()));
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

Result<int64_t> Envelope::CheckAll() const {
  ASSIGN_OR_RETURN(auto keys, DataKeyStore::All(db_));
  for (const auto& [account, key] : keys) {
    auto dek = Unwrap(key, account);
    if (!dek.ok()) {
      return DataLoss("cannot unwrap the data key of " + account + ": " + dek.status().message());
    }
  }
  return static_cast<int64_t>(keys.size());
}

Result<std::vector<std::string>> Envelope::MissingMasterKeys() {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, DataKeyStore::MasterKeyIds(db_));
  std::vector<std::string> missing;
  for (std::string& id : ids) {
    if (!keys_.Has(id)) missing.push_back(std::move(id));
  }
  return missing;
}

Result<int64_t> Envelope::CountDataKeys(SqlExecutor& exec) { return DataKeyStore::Count(exec); }

}  // namespace latchkey
