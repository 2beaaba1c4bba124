// CertificateService: an account's key pairs, their publication, and their
// rotation.
//
//  - Create makes an RS256 or ES256 key pair named by its RFC 7638 kid.
//    Exported custody hands the private key out once and never stores it;
//    managed custody seals it with the account's data key for signing here.
//  - Revoke is immediate: the key leaves the JWKS and stops signing at once
//    in this process, and on other replicas at their next version check.
//  - A rotation publishes the next managed key `publish_lead` ahead of its
//    first signature (the JWKS max-age, so every cached JWKS has it before
//    any token names it), switches signing to it, and keeps older managed
//    keys verifiable for the policy's overlap.
//  - RunMaintenance (the scheduler's job) records expiries and retirements
//    and performs due rotations; each change is claimed with a conditional
//    update, so with many replicas each happens once.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/audit_log.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "services/certificates/certificate.h"
#include "services/certificates/key_pool.h"
#include "services/certificates/key_snapshot.h"

namespace latchkey {

struct CertificateOptions {
  // How long clients may cache a JWKS; also how far ahead of its first
  // signature a rotated key is published.
  std::chrono::seconds jwks_max_age{300};
  // The longest token lifetime POST /tokens allows; overlaps must cover it.
  std::chrono::seconds max_token_lifetime{3600};
  // How stale a served JWKS may be relative to another replica's change.
  std::chrono::seconds version_check_interval{1};
};

struct RotationPolicyInput {
  int64_t rotation_period = 0;
  int64_t overlap = 0;
  KeyAlgorithm algorithm = KeyAlgorithm::kRs256;
  int key_size = 2048;
};

struct MaintenanceReport {
  int expired = 0;   // certificates moved to 'expired'
  int rotated = 0;   // accounts whose managed key was rotated
  int expiring = 0;  // certificate.expiring notices raised (7 and 1 days ahead)
};

class CertificateService {
 public:
  CertificateService(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
                     KeyPool& pool, CertificateOptions options);

  static const std::vector<Migration>& Migrations();
  // Tables whose rows die with their account.
  static const std::vector<std::string>& OwnedTables();

  const CertificateOptions& options() const { return options_; }

  // InvalidArgument for a bad name, size, expiry or metadata.
  Result<CreatedCertificate> Create(const std::string& account_id, const NewCertificate& request,
                                    const AuditContext& ctx);
  Result<std::vector<Certificate>> List(const std::string& account_id,
                                        const CertificateFilter& filter);
  // NotFound unless the account owns `id`.
  Result<Certificate> Get(const std::string& account_id, const std::string& id);
  // The most recently created certificate that is active and in effect
  // (past its activation time); NotFound if none.
  Result<Certificate> Active(const std::string& account_id);
  // NotFound unless owned; FailedPrecondition if already revoked or expired.
  Result<Certificate> Revoke(const std::string& account_id, const std::string& id,
                             const AuditContext& ctx);
  // NotFound unless owned; InvalidArgument if it is still active.
  Status Delete(const std::string& account_id, const std::string& id, const AuditContext& ctx);

  // A verifiable key by kid, any account; NotFound for unknown, revoked,
  // expired or retired kids.
  Result<Certificate> FindPublic(const std::string& kid);

  // What the account publishes and signs with. Changes made through this
  // service show at once; another replica's within version_check_interval.
  Result<std::shared_ptr<const KeySnapshot>> Snapshot(const std::string& account_id);

  // Seconds a client may cache the snapshot's JWKS: jwks_max_age, cut so
  // it never reaches past the next scheduled change of the key set.
  int64_t JwksMaxAge(const KeySnapshot& snapshot) const;

  // Stores the policy. When the account has no signing key yet, the first
  // one is created at once. InvalidArgument for values out of range.
  Result<RotationPolicy> PutPolicy(const std::string& account_id, const RotationPolicyInput& input,
                                   const AuditContext& ctx);
  // NotFound if the account has none.
  Result<RotationPolicy> GetPolicy(const std::string& account_id);
  // Publishes a new managed key now; it signs after jwks_max_age (at once
  // if nothing signs yet). Uses the policy, or RS256-2048 and an overlap
  // of max_token_lifetime without one. Returns the new certificate.
  Result<Certificate> Rotate(const std::string& account_id, const AuditContext& ctx);

  // Expiries, retirements and due rotations for every account.
  Result<MaintenanceReport> RunMaintenance();

 private:
  Status ValidatePolicy(const RotationPolicyInput& input) const;
  // Creates the next managed key inside `tx` from `key`; sets older managed
  // keys to retire `overlap` after it starts signing.
  Result<Certificate> RotateInTx(SqlExecutor& tx, const std::string& account_id,
                                 const AsymmetricKey& key, int64_t overlap, const AuditContext& ctx,
                                 TimePoint now);
  Result<Certificate> Insert(SqlExecutor& tx, Certificate cert, const AsymmetricKey& key,
                             const AuditContext& ctx);
  Status ExpireDue(MaintenanceReport* report);
  Status RotateDue(MaintenanceReport* report);
  Status NoticeExpiring(MaintenanceReport* report);

  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  KeyPool& pool_;
  const CertificateOptions options_;
  KeySnapshotCache snapshots_;
};

}  // namespace latchkey
