#include "services/certificates/certificate_store.h"

#include <nlohmann/json.hpp>

#include "common/sql_time.h"

namespace latchkey {
namespace {

constexpr char kColumns[] =
    "id, account_id, kid, name, public_key, algorithm, key_size, custody, status, metadata, "
    "created_at, updated_at, expires_at, activates_at, retires_at, revoked_at, seq";

CertificateStatus StatusFromText(const std::string& s) {
  if (s == "revoked") return CertificateStatus::kRevoked;
  if (s == "expired") return CertificateStatus::kExpired;
  return CertificateStatus::kActive;
}

std::string MetadataText(const std::map<std::string, std::string>& metadata) {
  // Values are checked as UTF-8 on the way in; this never throws regardless.
  return nlohmann::json(metadata).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::string> MetadataFromText(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

Certificate FromRow(const Row& row) {
  Certificate c;
  c.id = row.Text(0);
  c.account_id = row.Text(1);
  c.kid = row.Text(2);
  c.name = row.Text(3);
  c.public_key_pem = row.Text(4);
  c.algorithm = row.Text(5) == "ES256" ? KeyAlgorithm::kEs256 : KeyAlgorithm::kRs256;
  c.key_size = static_cast<int>(row.Int(6));
  c.custody = row.Text(7) == "managed" ? Custody::kManaged : Custody::kExported;
  c.status = StatusFromText(row.Text(8));
  c.metadata = MetadataFromText(row.Text(9));
  c.created_at = FromUnix(row.Int(10));
  c.updated_at = FromUnix(row.Int(11));
  c.expires_at = OptionalTimeAt(row, 12);
  c.activates_at = OptionalTimeAt(row, 13);
  c.retires_at = OptionalTimeAt(row, 14);
  c.revoked_at = OptionalTimeAt(row, 15);
  c.seq = row.Int(16);
  return c;
}

Result<std::vector<Certificate>> Select(SqlExecutor& exec, const std::string& where,
                                        const SqlParams& params) {
  ASSIGN_OR_RETURN(
      auto rows,
      exec.Query(std::string("SELECT ") + kColumns + " FROM certificates WHERE " + where, params));
  std::vector<Certificate> out;
  out.reserve(rows.size());
  for (const Row& row : rows) out.push_back(FromRow(row));
  return out;
}

Result<std::optional<Certificate>> SelectOne(SqlExecutor& exec, const std::string& where,
                                             const SqlParams& params) {
  ASSIGN_OR_RETURN(auto list, Select(exec, where, params));
  if (list.empty()) return std::optional<Certificate>();
  return std::optional<Certificate>(std::move(list.front()));
}

RotationPolicy PolicyFromRow(const Row& row) {
  RotationPolicy p;
  p.account_id = row.Text(0);
  p.rotation_period = row.Int(1);
  p.overlap = row.Int(2);
  p.algorithm = row.Text(3) == "ES256" ? KeyAlgorithm::kEs256 : KeyAlgorithm::kRs256;
  p.key_size = static_cast<int>(row.Int(4));
  p.next_rotation_at = FromUnix(row.Int(5));
  p.created_at = FromUnix(row.Int(6));
  p.updated_at = FromUnix(row.Int(7));
  return p;
}

constexpr char kPolicyColumns[] =
    "account_id, rotation_period, overlap, algorithm, key_size, next_rotation_at, created_at, "
    "updated_at";

}  // namespace

const std::vector<Migration>& CertificateStore::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE certificates ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " kid TEXT NOT NULL UNIQUE,"
       " name TEXT NOT NULL,"
       " public_key TEXT NOT NULL,"
       " algorithm TEXT NOT NULL,"
       " key_size INTEGER NOT NULL,"
       " custody TEXT NOT NULL,"
       " private_key_sealed ${BLOB},"
       " status TEXT NOT NULL,"
       " metadata TEXT NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " updated_at ${BIGINT} NOT NULL,"
       " expires_at ${BIGINT},"
       " activates_at ${BIGINT},"
       " retires_at ${BIGINT},"
       " revoked_at ${BIGINT},"
       " seq ${BIGINT} NOT NULL);"
       "CREATE INDEX certificates_account ON certificates (account_id, seq);"
       "CREATE TABLE certificate_versions ("
       " account_id TEXT PRIMARY KEY,"
       " version ${BIGINT} NOT NULL);"
       "CREATE TABLE rotation_policies ("
       " account_id TEXT PRIMARY KEY,"
       " rotation_period ${BIGINT} NOT NULL,"
       " overlap ${BIGINT} NOT NULL,"
       " algorithm TEXT NOT NULL,"
       " key_size INTEGER NOT NULL,"
       " next_rotation_at ${BIGINT} NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " updated_at ${BIGINT} NOT NULL)"},
      // The last certificate.expiring notice raised (7 or 1 days before).
      {2, "ALTER TABLE certificates ADD COLUMN expiry_notice INTEGER"},
  };
  return kMigrations;
}

const std::vector<std::string>& CertificateStore::OwnedTables() {
  static const std::vector<std::string> kTables = {"certificates", "certificate_versions",
                                                   "rotation_policies"};
  return kTables;
}

Result<Certificate> CertificateStore::Insert(SqlExecutor& tx, Certificate c,
                                             const std::optional<Bytes>& sealed) {
  ASSIGN_OR_RETURN(c.seq, BumpVersion(tx, c.account_id));
  SqlValue sealed_value = nullptr;
  if (sealed) sealed_value = *sealed;
  RETURN_IF_ERROR(
      tx.Execute(
            "INSERT INTO certificates (id, account_id, kid, name, public_key, algorithm, key_size, "
            "custody, private_key_sealed, status, metadata, created_at, updated_at, expires_at, "
            "activates_at, retires_at, revoked_at, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {c.id, c.account_id, c.kid, c.name, c.public_key_pem,
             std::string(AlgorithmName(c.algorithm)), static_cast<int64_t>(c.key_size),
             std::string(CustodyName(c.custody)), sealed_value, std::string(StatusName(c.status)),
             MetadataText(c.metadata), ToUnix(c.created_at), ToUnix(c.updated_at),
             TimeOrNull(c.expires_at), TimeOrNull(c.activates_at), TimeOrNull(c.retires_at),
             TimeOrNull(c.revoked_at), c.seq})
          .status());
  return c;
}

Result<std::optional<Certificate>> CertificateStore::Get(SqlExecutor& exec,
                                                         const std::string& account_id,
                                                         const std::string& id) {
  return SelectOne(exec, "account_id = ? AND id = ?", {account_id, id});
}

Result<std::vector<Certificate>> CertificateStore::List(SqlExecutor& exec,
                                                        const std::string& account_id) {
  return Select(exec, "account_id = ? ORDER BY seq DESC", {account_id});
}

Result<std::optional<Certificate>> CertificateStore::FindByKid(SqlExecutor& exec,
                                                               const std::string& kid) {
  return SelectOne(exec, "kid = ?", {kid});
}

Result<std::optional<Bytes>> CertificateStore::SealedPrivateKey(SqlExecutor& exec,
                                                                const std::string& account_id,
                                                                const std::string& id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT private_key_sealed FROM certificates "
                                         "WHERE account_id = ? AND id = ?",
                                         {account_id, id}));
  if (rows.empty() || rows[0].IsNull(0)) return std::optional<Bytes>();
  return std::optional<Bytes>(rows[0].Blob(0));
}

Result<std::vector<Certificate>> CertificateStore::DueToExpire(SqlExecutor& exec, TimePoint now) {
  int64_t t = ToUnix(now);
  return Select(exec,
                "status = 'active' AND ((expires_at IS NOT NULL AND expires_at <= ?) OR "
                "(retires_at IS NOT NULL AND retires_at <= ?))",
                {t, t});
}

Result<std::vector<Certificate>> CertificateStore::DueExpiryNotice(SqlExecutor& exec,
                                                                   TimePoint now) {
  int64_t t = ToUnix(now);
  return Select(exec,
                "status = 'active' AND expires_at IS NOT NULL AND expires_at > ? AND"
                " ((expires_at <= ? AND expiry_notice IS NULL) OR"
                " (expires_at <= ? AND (expiry_notice IS NULL OR expiry_notice > 1)))",
                {t, t + 7 * 86400, t + 86400});
}

Result<bool> CertificateStore::MarkExpiryNotice(SqlExecutor& tx, const std::string& id, int days) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute("UPDATE certificates SET expiry_notice = ? WHERE id = ?"
                                         " AND (expiry_notice IS NULL OR expiry_notice > ?)",
                                         {int64_t{days}, id, int64_t{days}}));
  return n == 1;
}

Result<bool> CertificateStore::Transition(SqlExecutor& tx, const Certificate& cert,
                                          CertificateStatus status, TimePoint now) {
  // Both ways out of 'active' are final, so the sealed private key of a
  // managed key is destroyed with the transition.
  SqlValue revoked_at = nullptr;
  if (status == CertificateStatus::kRevoked) revoked_at = ToUnix(now);
  ASSIGN_OR_RETURN(int64_t changed,
                   tx.Execute("UPDATE certificates SET status = ?, updated_at = ?, revoked_at = ?, "
                              "private_key_sealed = NULL "
                              "WHERE account_id = ? AND id = ? AND status = 'active'",
                              {std::string(StatusName(status)), ToUnix(now), revoked_at,
                               cert.account_id, cert.id}));
  return changed > 0;
}

Status CertificateStore::SetRetiresAt(SqlExecutor& tx, const Certificate& cert,
                                      TimePoint retires_at, TimePoint now) {
  return tx
      .Execute(
          "UPDATE certificates SET retires_at = ?, updated_at = ? "
          "WHERE account_id = ? AND id = ?",
          {ToUnix(retires_at), ToUnix(now), cert.account_id, cert.id})
      .status();
}

Status CertificateStore::Delete(SqlExecutor& tx, const std::string& account_id,
                                const std::string& id) {
  return tx.Execute("DELETE FROM certificates WHERE account_id = ? AND id = ?", {account_id, id})
      .status();
}

Result<int64_t> CertificateStore::Version(SqlExecutor& exec, const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT version FROM certificate_versions "
                                         "WHERE account_id = ?",
                                         {account_id}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<int64_t> CertificateStore::BumpVersion(SqlExecutor& tx, const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("INSERT INTO certificate_versions (account_id, version) "
                                       "VALUES (?, 1) ON CONFLICT (account_id) DO UPDATE SET "
                                       "version = certificate_versions.version + 1 "
                                       "RETURNING version",
                                       {account_id}));
  if (rows.empty()) return Internal("version bump returned no row");
  return rows[0].Int(0);
}

Status CertificateStore::PutPolicy(SqlExecutor& tx, const RotationPolicy& p) {
  return tx
      .Execute(
          "INSERT INTO rotation_policies (account_id, rotation_period, overlap, algorithm, "
          "key_size, next_rotation_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (account_id) DO UPDATE SET rotation_period = excluded.rotation_period, "
          "overlap = excluded.overlap, algorithm = excluded.algorithm, "
          "key_size = excluded.key_size, next_rotation_at = excluded.next_rotation_at, "
          "updated_at = excluded.updated_at",
          {p.account_id, p.rotation_period, p.overlap, std::string(AlgorithmName(p.algorithm)),
           static_cast<int64_t>(p.key_size), ToUnix(p.next_rotation_at), ToUnix(p.created_at),
           ToUnix(p.updated_at)})
      .status();
}

Result<std::optional<RotationPolicy>> CertificateStore::GetPolicy(SqlExecutor& exec,
                                                                  const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kPolicyColumns +
                                             " FROM rotation_policies WHERE account_id = ?",
                                         {account_id}));
  if (rows.empty()) return std::optional<RotationPolicy>();
  return std::optional<RotationPolicy>(PolicyFromRow(rows[0]));
}

Result<std::vector<RotationPolicy>> CertificateStore::DuePolicies(SqlExecutor& exec,
                                                                  TimePoint now) {
  ASSIGN_OR_RETURN(auto rows, exec.Query(std::string("SELECT ") + kPolicyColumns +
                                             " FROM rotation_policies WHERE next_rotation_at <= ?",
                                         {ToUnix(now)}));
  std::vector<RotationPolicy> out;
  for (const Row& row : rows) out.push_back(PolicyFromRow(row));
  return out;
}

Result<bool> CertificateStore::ClaimRotation(SqlExecutor& tx, const std::string& account_id,
                                             TimePoint expected, TimePoint next) {
  ASSIGN_OR_RETURN(int64_t changed, tx.Execute("UPDATE rotation_policies SET next_rotation_at = ? "
                                               "WHERE account_id = ? AND next_rotation_at = ?",
                                               {ToUnix(next), account_id, ToUnix(expected)}));
  return changed > 0;
}

}  // namespace latchkey
