#include "services/credentials/credential_store.h"

#include <nlohmann/json.hpp>

#include "common/sql_time.h"
#include "services/credentials/credentials_internal.h"

namespace latchkey {
namespace {

using json = nlohmann::json;
using credentials_internal::DumpJson;

constexpr char kSecretColumns[] =
    "id, account_id, name, type, masked, allowed_hosts, version, created_at, updated_at,"
    " last_used_at, use_count, base_url";

constexpr char kBadHosts[] = "stored allowed hosts do not parse";
constexpr char kBadMasked[] = "stored secret summary does not parse";

// ---- the allowed_hosts column: a JSON array of host patterns ----

Result<std::string> HostsText(const std::vector<std::string>& hosts) { return DumpJson(hosts); }

Result<std::vector<std::string>> HostsFromText(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return DataLoss(kBadHosts);
  std::vector<std::string> out;
  for (const json& h : j) {
    if (!h.is_string()) return DataLoss(kBadHosts);
    out.push_back(h.get<std::string>());
  }
  return out;
}

// NULL (the provider's defaults) or the hosts' JSON.
Result<std::optional<std::vector<std::string>>> OptionalHostsAt(const Row& row, size_t i) {
  if (row.IsNull(i)) return std::optional<std::vector<std::string>>();
  ASSIGN_OR_RETURN(auto hosts, HostsFromText(row.Text(i)));
  return std::optional<std::vector<std::string>>(std::move(hosts));
}

// ---- the masked column: {"parts":[{"part":...,"last4":...|null}],"param":...} ----

Result<std::string> MaskedText(const SecretInfo& info) {
  json parts = json::array();
  for (const MaskedPart& p : info.parts) {
    parts.push_back({{"part", p.part}, {"last4", p.last4 ? json(*p.last4) : json(nullptr)}});
  }
  json masked = {{"parts", std::move(parts)}};
  if (info.param) masked["param"] = *info.param;
  return DumpJson(masked);
}

Result<MaskedPart> PartFromJson(const json& p) {
  if (!p.is_object()) return DataLoss(kBadMasked);
  auto part = p.find("part");
  auto last4 = p.find("last4");
  if (part == p.end() || !part->is_string()) return DataLoss(kBadMasked);
  MaskedPart out{part->get<std::string>(), std::nullopt};
  if (last4 != p.end() && last4->is_string()) {
    out.last4 = last4->get<std::string>();
  } else if (last4 != p.end() && !last4->is_null()) {
    return DataLoss(kBadMasked);
  }
  return out;
}

// Fills info's parts and param from the masked column.
Status ReadMasked(const std::string& text, SecretInfo* info) {
  json masked = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!masked.is_object()) return DataLoss(kBadMasked);
  auto parts = masked.find("parts");
  if (parts == masked.end() || !parts->is_array()) return DataLoss(kBadMasked);
  for (const json& p : *parts) {
    ASSIGN_OR_RETURN(MaskedPart part, PartFromJson(p));
    info->parts.push_back(std::move(part));
  }
  auto param = masked.find("param");
  if (param != masked.end()) {
    if (!param->is_string()) return DataLoss(kBadMasked);
    info->param = param->get<std::string>();
  }
  return Status::Ok();
}

Result<SecretType> TypeFromText(const std::string& text) {
  auto type = ParseSecretType(text);
  if (!type) return DataLoss("stored secret has an unknown type");
  return *type;
}

SqlValue OptionalText(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return *text;
}

// A row selected with kSecretColumns.
Result<SecretInfo> SecretFromRow(const Row& row) {
  SecretInfo s;
  s.id = row.Text(0);
  s.account_id = row.Text(1);
  s.name = row.Text(2);
  ASSIGN_OR_RETURN(s.type, TypeFromText(row.Text(3)));
  RETURN_IF_ERROR(ReadMasked(row.Text(4), &s));
  ASSIGN_OR_RETURN(s.allowed_hosts, HostsFromText(row.Text(5)));
  s.version = row.Int(6);
  s.created_at = FromUnix(row.Int(7));
  s.updated_at = FromUnix(row.Int(8));
  s.last_used_at = OptionalTimeAt(row, 9);
  s.use_count = row.Int(10);
  if (!row.IsNull(11)) s.base_url = row.Text(11);
  return s;
}

Result<std::vector<SecretInfo>> SecretsFromRows(const std::vector<Row>& rows) {
  std::vector<SecretInfo> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    ASSIGN_OR_RETURN(SecretInfo info, SecretFromRow(row));
    out.push_back(std::move(info));
  }
  return out;
}

// The one secret a RETURNING statement gave back; NotFound if it matched none.
Result<SecretInfo> OnlySecret(Result<std::vector<Row>> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("secret not found");
  return SecretFromRow(rows->front());
}

Result<StoredProviderKey> ProviderKeyFromRow(const Row& row) {
  StoredProviderKey k;
  k.provider = row.Text(0);
  if (!row.IsNull(1)) k.last4 = row.Text(1);
  ASSIGN_OR_RETURN(k.allowed_hosts, OptionalHostsAt(row, 2));
  k.updated_at = FromUnix(row.Int(3));
  k.last_used_at = OptionalTimeAt(row, 4);
  k.use_count = row.Int(5);
  if (!row.IsNull(6)) k.base_url = row.Text(6);
  return k;
}

}  // namespace

const std::vector<Migration>& CredentialStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE provider_credentials ("
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " last4 TEXT,"
       " allowed_hosts TEXT,"
       " updated_at ${BIGINT} NOT NULL,"
       " last_used_at ${BIGINT},"
       " use_count ${BIGINT} NOT NULL DEFAULT 0,"
       " PRIMARY KEY (account_id, provider));"
       "CREATE TABLE secrets ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " name TEXT NOT NULL,"
       " type TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " masked TEXT NOT NULL,"
       " allowed_hosts TEXT NOT NULL,"
       " version ${BIGINT} NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " updated_at ${BIGINT} NOT NULL,"
       " last_used_at ${BIGINT},"
       " use_count ${BIGINT} NOT NULL DEFAULT 0,"
       " UNIQUE (account_id, name))"},
      {2,
       "ALTER TABLE provider_credentials ADD COLUMN base_url TEXT;"
       "ALTER TABLE secrets ADD COLUMN base_url TEXT"},
  };
  return kMigrations;
}

const std::vector<std::string>& CredentialStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"provider_credentials", "secrets"};
  return kTables;
}

// ---- provider keys ----

Status CredentialStore::PutProviderKey(SqlExecutor& tx, const std::string& account_id,
                                       const std::string& provider, const Bytes& sealed,
                                       const std::optional<std::string>& last4, TimePoint now) {
  SqlValue last4_value = nullptr;
  if (last4) last4_value = *last4;
  return tx
      .Execute(
          "INSERT INTO provider_credentials (account_id, provider, sealed,"
          " last4, updated_at) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT (account_id, provider) DO UPDATE SET"
          " sealed = excluded.sealed, last4 = excluded.last4,"
          " updated_at = excluded.updated_at",
          {account_id, provider, sealed, last4_value, ToUnix(now)})
      .status();
}

Result<bool> CredentialStore::DeleteProviderKey(SqlExecutor& tx, const std::string& account_id,
                                                const std::string& provider) {
  ASSIGN_OR_RETURN(int64_t changed, tx.Execute("DELETE FROM provider_credentials WHERE"
                                               " account_id = ? AND provider = ?",
                                               {account_id, provider}));
  return changed > 0;
}

Result<bool> CredentialStore::SetProviderHosts(SqlExecutor& tx, const std::string& account_id,
                                               const std::string& provider,
                                               const std::optional<std::vector<std::string>>& hosts,
                                               TimePoint now) {
  SqlValue value = nullptr;
  if (hosts) {
    ASSIGN_OR_RETURN(value, HostsText(*hosts));
  }
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Execute("UPDATE provider_credentials SET allowed_hosts = ?,"
                              " updated_at = ? WHERE account_id = ? AND provider = ?",
                              {value, ToUnix(now), account_id, provider}));
  return changed > 0;
}

Result<bool> CredentialStore::SetProviderBaseUrl(SqlExecutor& tx, const std::string& account_id,
                                                 const std::string& provider,
                                                 const std::optional<std::string>& base_url,
                                                 TimePoint now) {
  SqlValue value = nullptr;
  if (base_url) value = *base_url;
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Execute("UPDATE provider_credentials SET base_url = ?,"
                              " updated_at = ? WHERE account_id = ? AND provider = ?",
                              {value, ToUnix(now), account_id, provider}));
  return changed > 0;
}

Result<std::vector<StoredProviderKey>> CredentialStore::ListProviderKeys(
    SqlExecutor& exec, const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows,
                   exec.Query("SELECT provider, last4, allowed_hosts, updated_at,"
                              " last_used_at, use_count, base_url FROM provider_credentials"
                              " WHERE account_id = ?",
                              {account_id}));
  std::vector<StoredProviderKey> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    ASSIGN_OR_RETURN(StoredProviderKey key, ProviderKeyFromRow(row));
    out.push_back(std::move(key));
  }
  return out;
}

Result<std::optional<SealedProviderKey>> CredentialStore::GetSealedProviderKey(
    SqlExecutor& exec, const std::string& account_id, const std::string& provider) {
  ASSIGN_OR_RETURN(auto rows,
                   exec.Query("SELECT sealed, allowed_hosts, base_url FROM provider_credentials"
                              " WHERE account_id = ? AND provider = ?",
                              {account_id, provider}));
  if (rows.empty()) return std::optional<SealedProviderKey>();
  SealedProviderKey key;
  key.sealed = rows[0].Blob(0);
  ASSIGN_OR_RETURN(key.allowed_hosts, OptionalHostsAt(rows[0], 1));
  if (!rows[0].IsNull(2)) key.base_url = rows[0].Text(2);
  return std::optional<SealedProviderKey>(std::move(key));
}

Status CredentialStore::RecordProviderKeyUses(SqlExecutor& tx, const std::string& account_id,
                                              const std::string& provider, int64_t count,
                                              TimePoint last_used) {
  return tx
      .Execute(
          "UPDATE provider_credentials SET last_used_at = ?, use_count ="
          " use_count + ? WHERE account_id = ? AND provider = ?",
          {ToUnix(last_used), count, account_id, provider})
      .status();
}

// ---- typed secrets ----

Result<int64_t> CredentialStore::CountSecrets(SqlExecutor& exec, const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows,
                   exec.Query("SELECT COUNT(*) FROM secrets WHERE account_id = ?", {account_id}));
  if (rows.empty()) return Internal("COUNT(*) returned no row");
  return rows[0].Int(0);
}

Result<bool> CredentialStore::SecretExists(SqlExecutor& exec, const std::string& account_id,
                                           const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT 1 FROM secrets WHERE account_id = ? AND name = ?",
                                         {account_id, name}));
  return !rows.empty();
}

Result<SecretInfo> CredentialStore::InsertSecret(SqlExecutor& tx, const SecretInfo& info,
                                                 const Bytes& sealed) {
  ASSIGN_OR_RETURN(std::string masked, MaskedText(info));
  ASSIGN_OR_RETURN(std::string hosts, HostsText(info.allowed_hosts));
  return OnlySecret(tx.Query(
      std::string("INSERT INTO secrets (id, account_id, name, type, sealed,"
                  " masked, allowed_hosts, version, created_at, updated_at, base_url)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING ") +
          kSecretColumns,
      {info.id, info.account_id, info.name, std::string(SecretTypeName(info.type)), sealed, masked,
       hosts, ToUnix(info.created_at), ToUnix(info.updated_at), OptionalText(info.base_url)}));
}

Result<SecretInfo> CredentialStore::UpdateSecret(SqlExecutor& tx, const SecretInfo& info,
                                                 const Bytes& sealed) {
  ASSIGN_OR_RETURN(std::string masked, MaskedText(info));
  ASSIGN_OR_RETURN(std::string hosts, HostsText(info.allowed_hosts));
  return OnlySecret(tx.Query(std::string("UPDATE secrets SET type = ?, sealed = ?, masked = ?,"
                                         " allowed_hosts = ?, version = version + 1,"
                                         " updated_at = ?, base_url = ? WHERE id = ? RETURNING ") +
                                 kSecretColumns,
                             {std::string(SecretTypeName(info.type)), sealed, masked, hosts,
                              ToUnix(info.updated_at), OptionalText(info.base_url), info.id}));
}

Result<std::optional<SecretInfo>> CredentialStore::GetSecret(SqlExecutor& exec,
                                                             const std::string& account_id,
                                                             const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kSecretColumns +
                                             " FROM secrets WHERE account_id = ? AND name = ?",
                                         {account_id, name}));
  if (rows.empty()) return std::optional<SecretInfo>();
  ASSIGN_OR_RETURN(SecretInfo info, SecretFromRow(rows[0]));
  return std::optional<SecretInfo>(std::move(info));
}

Result<std::vector<SecretInfo>> CredentialStore::ListSecrets(SqlExecutor& exec,
                                                             const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kSecretColumns +
                                             " FROM secrets WHERE account_id = ? ORDER BY name",
                                         {account_id}));
  return SecretsFromRows(rows);
}

Result<std::optional<std::string>> CredentialStore::DeleteSecret(SqlExecutor& tx,
                                                                 const std::string& account_id,
                                                                 const std::string& name) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("DELETE FROM secrets WHERE account_id = ? AND name = ? RETURNING id",
                            {account_id, name}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

Result<std::optional<SealedSecret>> CredentialStore::GetSealedSecret(SqlExecutor& exec,
                                                                     const std::string& account_id,
                                                                     const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT type, sealed, allowed_hosts, base_url FROM secrets"
                                         " WHERE account_id = ? AND name = ?",
                                         {account_id, name}));
  if (rows.empty()) return std::optional<SealedSecret>();
  SealedSecret secret;
  ASSIGN_OR_RETURN(secret.type, TypeFromText(rows[0].Text(0)));
  secret.sealed = rows[0].Blob(1);
  ASSIGN_OR_RETURN(secret.allowed_hosts, HostsFromText(rows[0].Text(2)));
  if (!rows[0].IsNull(3)) secret.base_url = rows[0].Text(3);
  return std::optional<SealedSecret>(std::move(secret));
}

Status CredentialStore::RecordSecretUses(SqlExecutor& tx, const std::string& account_id,
                                         const std::string& name, int64_t count,
                                         TimePoint last_used) {
  return tx
      .Execute(
          "UPDATE secrets SET last_used_at = ?, use_count = use_count + ?"
          " WHERE account_id = ? AND name = ?",
          {ToUnix(last_used), count, account_id, name})
      .status();
}

}  // namespace latchkey
