#include "services/certificates/certificates.h"

#include <algorithm>

#include "common/ids.h"
#include "common/json_text.h"
#include "common/names.h"
#include "services/certificates/certificate_store.h"

namespace latchkey {
namespace {

bool IsMetadataKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

Status ValidateMetadata(const std::map<std::string, std::string>& metadata) {
  if (metadata.size() > kMaxMetadataEntries) {
    return InvalidArgument("metadata may hold at most " + std::to_string(kMaxMetadataEntries) +
                           " entries");
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKey) {
      return InvalidArgument("metadata keys must be 1 to " + std::to_string(kMaxMetadataKey) +
                             " characters");
    }
    for (char c : key) {
      if (!IsMetadataKeyChar(c)) {
        return InvalidArgument("metadata keys may use letters, digits and _ - . : only");
      }
    }
    if (value.size() > kMaxMetadataValue) {
      return InvalidArgument("metadata values must be at most " +
                             std::to_string(kMaxMetadataValue) + " characters");
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) {
        return InvalidArgument("metadata values must not contain control characters");
      }
    }
    if (!IsValidUtf8(value)) return InvalidArgument("metadata values must be valid UTF-8");
  }
  return Status::Ok();
}

bool Matches(const Certificate& c, const CertificateFilter& filter, TimePoint now) {
  if (filter.status && c.EffectiveStatus(now) != *filter.status) return false;
  for (const auto& [key, value] : filter.metadata) {
    auto it = c.metadata.find(key);
    if (it == c.metadata.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

CertificateService::CertificateService(Database& db, Envelope& envelope, AuditLog& audit,
                                       const Clock& clock, KeyPool& pool,
                                       CertificateOptions options)
    : db_(db),
      envelope_(envelope),
      audit_(audit),
      clock_(clock),
      pool_(pool),
      options_(options),
      snapshots_(db, envelope, clock, options.version_check_interval) {}

const std::vector<Migration>& CertificateService::Migrations() {
  return CertificateStore::Migrations();
}

const std::vector<std::string>& CertificateService::OwnedTables() {
  return CertificateStore::OwnedTables();
}

Result<Certificate> CertificateService::Insert(SqlExecutor& tx, Certificate cert,
                                               const AsymmetricKey& key, const AuditContext& ctx) {
  ASSIGN_OR_RETURN(cert.kid, key.Thumbprint());
  ASSIGN_OR_RETURN(cert.public_key_pem, key.PublicPem());
  std::optional<Bytes> sealed;
  if (cert.custody == Custody::kManaged) {
    ASSIGN_OR_RETURN(SecretBytes pem, key.PrivatePem());
    ASSIGN_OR_RETURN(sealed,
                     envelope_.Seal(tx, cert.account_id, kPrivateKeyKind, cert.id, pem.view()));
  }
  ASSIGN_OR_RETURN(cert, CertificateStore::Insert(tx, cert, sealed));
  AuditEvent event = AuditEvent::For(ctx, cert.account_id, "certificate.create", cert.id);
  event.details = {{"kid", cert.kid},
                   {"algorithm", std::string(AlgorithmName(cert.algorithm))},
                   {"custody", std::string(CustodyName(cert.custody))}};
  RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
  return cert;
}

Result<CreatedCertificate> CertificateService::Create(const std::string& account_id,
                                                      const NewCertificate& request,
                                                      const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidateName(request.name));
  RETURN_IF_ERROR(ValidateMetadata(request.metadata));
  TimePoint now = clock_.Now();
  if (request.expires_at && *request.expires_at <= now) {
    return InvalidArgument("expiresAt must be in the future");
  }
  int bits = request.algorithm == KeyAlgorithm::kEs256 ? 256 : request.key_size;
  ASSIGN_OR_RETURN(AsymmetricKey key, pool_.Take(request.algorithm, request.key_size, account_id));

  Certificate cert;
  cert.id = NewId("cert");
  cert.account_id = account_id;
  cert.name = request.name;
  cert.algorithm = request.algorithm;
  cert.key_size = bits;
  cert.custody = request.custody;
  cert.metadata = request.metadata;
  cert.created_at = cert.updated_at = now;
  cert.expires_at = request.expires_at;

  CreatedCertificate created;
  ASSIGN_OR_RETURN(created.certificate, TransactionValue<Certificate>(db_, [&](SqlExecutor& tx) {
                     return Insert(tx, cert, key, ctx);
                   }));
  snapshots_.Invalidate(account_id);
  if (request.custody == Custody::kExported) {
    ASSIGN_OR_RETURN(SecretBytes pem, key.PrivatePem());
    created.private_key_pem = std::string(pem.view());
  }
  return created;
}

Result<std::vector<Certificate>> CertificateService::List(const std::string& account_id,
                                                          const CertificateFilter& filter) {
  ASSIGN_OR_RETURN(auto all, CertificateStore::List(db_, account_id));
  TimePoint now = clock_.Now();
  std::vector<Certificate> out;
  for (auto& c : all) {
    if (!Matches(c, filter, now)) continue;
    c.status = c.EffectiveStatus(now);
    out.push_back(std::move(c));
  }
  return out;
}

Result<Certificate> CertificateService::Get(const std::string& account_id, const std::string& id) {
  ASSIGN_OR_RETURN(auto cert, CertificateStore::Get(db_, account_id, id));
  if (!cert) return NotFound("certificate not found");
  cert->status = cert->EffectiveStatus(clock_.Now());
  return std::move(*cert);
}

Result<Certificate> CertificateService::Active(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto all, CertificateStore::List(db_, account_id));
  TimePoint now = clock_.Now();
  for (auto& c : all) {  // newest first
    if (c.Verifiable(now) && (!c.activates_at || *c.activates_at <= now)) return std::move(c);
  }
  return NotFound("the account has no active certificate");
}

Result<Certificate> CertificateService::Revoke(const std::string& account_id, const std::string& id,
                                               const AuditContext& ctx) {
  TimePoint now = clock_.Now();
  auto revoked = TransactionValue<Certificate>(db_, [&](SqlExecutor& tx) -> Result<Certificate> {
    ASSIGN_OR_RETURN(auto cert, CertificateStore::Get(tx, account_id, id));
    if (!cert) return NotFound("certificate not found");
    CertificateStatus status = cert->EffectiveStatus(now);
    if (status != CertificateStatus::kActive) {
      return FailedPrecondition("certificate is already " + std::string(StatusName(status)));
    }
    ASSIGN_OR_RETURN(bool moved,
                     CertificateStore::Transition(tx, *cert, CertificateStatus::kRevoked, now));
    if (!moved) return FailedPrecondition("certificate is no longer active");
    RETURN_IF_ERROR(CertificateStore::BumpVersion(tx, account_id).status());
    AuditEvent event = AuditEvent::For(ctx, account_id, "certificate.revoke", id);
    event.details = {{"kid", cert->kid}};
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    cert->status = CertificateStatus::kRevoked;
    cert->revoked_at = cert->updated_at = now;
    return std::move(*cert);
  });
  if (revoked.ok()) snapshots_.Invalidate(account_id);
  return revoked;
}

Status CertificateService::Delete(const std::string& account_id, const std::string& id,
                                  const AuditContext& ctx) {
  TimePoint now = clock_.Now();
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto cert, CertificateStore::Get(tx, account_id, id));
    if (!cert) return NotFound("certificate not found");
    if (cert->EffectiveStatus(now) == CertificateStatus::kActive) {
      return InvalidArgument(
          "only revoked or expired certificates can be deleted; revoke it first");
    }
    RETURN_IF_ERROR(CertificateStore::Delete(tx, account_id, id));
    RETURN_IF_ERROR(CertificateStore::BumpVersion(tx, account_id).status());
    AuditEvent event = AuditEvent::For(ctx, account_id, "certificate.delete", id);
    event.details = {{"kid", cert->kid}};
    return audit_.Append(tx, std::move(event)).status();
  });
  if (s.ok()) snapshots_.Invalidate(account_id);
  return s;
}

Result<Certificate> CertificateService::FindPublic(const std::string& kid) {
  ASSIGN_OR_RETURN(auto cert, CertificateStore::FindByKid(db_, kid));
  if (!cert) return NotFound("no such key");
  ASSIGN_OR_RETURN(auto snap, snapshots_.Get(cert->account_id));
  const PublishedKey* published = snap->Find(kid);
  if (!published) return NotFound("no such key");
  return published->cert;
}

Result<std::shared_ptr<const KeySnapshot>> CertificateService::Snapshot(
    const std::string& account_id) {
  return snapshots_.Get(account_id);
}

int64_t CertificateService::JwksMaxAge(const KeySnapshot& snapshot) const {
  int64_t max_age = options_.jwks_max_age.count();
  if (snapshot.jwks_changes_at == TimePoint::max()) return max_age;
  int64_t until_change = ToUnix(snapshot.jwks_changes_at) - ToUnix(clock_.Now());
  return std::clamp<int64_t>(until_change, 0, max_age);
}

}  // namespace latchkey
