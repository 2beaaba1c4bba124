// CertificateService: rotation policies, rotation, and the maintenance job.
#include <algorithm>

#include "common/ids.h"
#include "services/certificates/certificate_store.h"
#include "services/certificates/certificates.h"

namespace latchkey {
namespace {

constexpr int64_t kMaxPeriod = 10LL * 365 * 24 * 3600;
constexpr int64_t kMaxOverlap = 365LL * 24 * 3600;
const AuditContext kSchedulerContext{"scheduler", "", ""};

}  // namespace

Status CertificateService::ValidatePolicy(const RotationPolicyInput& input) const {
  int64_t lead = options_.jwks_max_age.count();
  int64_t max_lifetime = options_.max_token_lifetime.count();
  if (input.rotation_period < 2 * lead || input.rotation_period > kMaxPeriod) {
    return InvalidArgument("rotationPeriod must be between " + std::to_string(2 * lead) + " and " +
                           std::to_string(kMaxPeriod) + " seconds");
  }
  if (input.overlap < max_lifetime || input.overlap > kMaxOverlap) {
    return InvalidArgument("overlap must be between " + std::to_string(max_lifetime) +
                           " seconds (the longest token lifetime) and " +
                           std::to_string(kMaxOverlap) + " seconds");
  }
  if (input.algorithm == KeyAlgorithm::kRs256 && input.key_size != 2048 && input.key_size != 3072 &&
      input.key_size != 4096) {
    return InvalidArgument("keySize must be 2048, 3072 or 4096");
  }
  return Status::Ok();
}

Result<Certificate> CertificateService::RotateInTx(SqlExecutor& tx, const std::string& account_id,
                                                   const AsymmetricKey& key, int64_t overlap,
                                                   const AuditContext& ctx, TimePoint now) {
  ASSIGN_OR_RETURN(auto certs, CertificateStore::List(tx, account_id));
  bool has_signer = CurrentSigner(certs, now) != nullptr;
  Certificate next;
  next.id = NewId("cert");
  next.account_id = account_id;
  next.name = "rotated " + FormatIso8601(now);
  next.algorithm = key.algorithm();
  next.key_size = key.bits();
  next.custody = Custody::kManaged;
  next.created_at = next.updated_at = now;
  // Published now; signs once every cached JWKS has had time to pick it up.
  next.activates_at = has_signer ? now + options_.jwks_max_age : now;
  TimePoint retire = *next.activates_at + std::chrono::seconds(overlap);
  std::string retiring;
  for (const Certificate& c : certs) {
    if (c.custody != Custody::kManaged || !c.Verifiable(now)) continue;
    if (c.retires_at && *c.retires_at <= retire) continue;
    RETURN_IF_ERROR(CertificateStore::SetRetiresAt(tx, c, retire, now));
    retiring += (retiring.empty() ? "" : " ") + c.kid;
  }
  ASSIGN_OR_RETURN(next, Insert(tx, next, key, ctx));
  AuditEvent event = AuditEvent::For(ctx, account_id, "certificate.rotate", next.id);
  event.details = {{"kid", next.kid},
                   {"activatesAt", FormatIso8601(*next.activates_at)},
                   {"retiring", retiring}};
  RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
  return next;
}

Result<RotationPolicy> CertificateService::PutPolicy(const std::string& account_id,
                                                     const RotationPolicyInput& input,
                                                     const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidatePolicy(input));
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(auto certs, CertificateStore::List(db_, account_id));
  // Only generate a key when the account will need one right away.
  std::optional<AsymmetricKey> first_key;
  if (!CurrentSigner(certs, now)) {
    ASSIGN_OR_RETURN(first_key, pool_.Take(input.algorithm, input.key_size, account_id));
  }
  RotationPolicy policy;
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto existing, CertificateStore::GetPolicy(tx, account_id));
    ASSIGN_OR_RETURN(auto current, CertificateStore::List(tx, account_id));
    const Certificate* signer = CurrentSigner(current, now);
    TimePoint started;
    if (signer) {
      started = signer->activates_at.value_or(signer->created_at);
    } else {
      if (!first_key) return Unavailable("the signing key changed concurrently; retry");
      ASSIGN_OR_RETURN(Certificate first,
                       RotateInTx(tx, account_id, *first_key, input.overlap, ctx, now));
      started = *first.activates_at;
    }
    policy.account_id = account_id;
    policy.rotation_period = input.rotation_period;
    policy.overlap = input.overlap;
    policy.algorithm = input.algorithm;
    policy.key_size = input.algorithm == KeyAlgorithm::kEs256 ? 256 : input.key_size;
    policy.next_rotation_at = std::max(
        now, started + std::chrono::seconds(input.rotation_period) - options_.jwks_max_age);
    policy.created_at = existing ? existing->created_at : now;
    policy.updated_at = now;
    RETURN_IF_ERROR(CertificateStore::PutPolicy(tx, policy));
    RETURN_IF_ERROR(CertificateStore::BumpVersion(tx, account_id).status());
    AuditEvent event = AuditEvent::For(ctx, account_id, "rotation_policy.put", account_id);
    event.details = {{"rotationPeriod", std::to_string(policy.rotation_period)},
                     {"overlap", std::to_string(policy.overlap)},
                     {"algorithm", std::string(AlgorithmName(policy.algorithm))}};
    return audit_.Append(tx, std::move(event)).status();
  });
  if (!s.ok()) return s;
  snapshots_.Invalidate(account_id);
  return policy;
}

Result<RotationPolicy> CertificateService::GetPolicy(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto policy, CertificateStore::GetPolicy(db_, account_id));
  if (!policy) return NotFound("the account has no rotation policy");
  return std::move(*policy);
}

Result<Certificate> CertificateService::Rotate(const std::string& account_id,
                                               const AuditContext& ctx) {
  ASSIGN_OR_RETURN(auto policy, CertificateStore::GetPolicy(db_, account_id));
  KeyAlgorithm alg = policy ? policy->algorithm : KeyAlgorithm::kRs256;
  int bits = policy ? policy->key_size : KeyPool::kPooledBits;
  int64_t overlap = policy ? policy->overlap : options_.max_token_lifetime.count();
  ASSIGN_OR_RETURN(AsymmetricKey key, pool_.Take(alg, bits, account_id));
  TimePoint now = clock_.Now();
  auto next = TransactionValue<Certificate>(db_, [&](SqlExecutor& tx) -> Result<Certificate> {
    ASSIGN_OR_RETURN(Certificate rotated, RotateInTx(tx, account_id, key, overlap, ctx, now));
    if (policy) {
      // The schedule restarts from the key published now.
      TimePoint after = *rotated.activates_at + std::chrono::seconds(policy->rotation_period) -
                        options_.jwks_max_age;
      ASSIGN_OR_RETURN(bool claimed, CertificateStore::ClaimRotation(
                                         tx, account_id, policy->next_rotation_at, after));
      if (!claimed) return Unavailable("a rotation is already in progress; retry");
    }
    return rotated;
  });
  if (next.ok()) snapshots_.Invalidate(account_id);
  return next;
}

Result<MaintenanceReport> CertificateService::RunMaintenance() {
  MaintenanceReport report;
  RETURN_IF_ERROR(ExpireDue(&report));
  RETURN_IF_ERROR(RotateDue(&report));
  RETURN_IF_ERROR(NoticeExpiring(&report));
  return report;
}

Status CertificateService::NoticeExpiring(MaintenanceReport* report) {
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(auto due, CertificateStore::DueExpiryNotice(db_, now));
  for (const Certificate& cert : due) {
    int days = *cert.expires_at - now <= std::chrono::hours(24) ? 1 : 7;
    RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
      ASSIGN_OR_RETURN(bool first, CertificateStore::MarkExpiryNotice(tx, cert.id, days));
      if (!first) return Status::Ok();  // another replica raised it
      ++report->expiring;
      AuditEvent event =
          AuditEvent::For(kSchedulerContext, cert.account_id, "certificate.expiring", cert.id);
      event.details = {{"kid", cert.kid},
                       {"expiresAt", FormatIso8601(*cert.expires_at)},
                       {"days", std::to_string(days)}};
      return audit_.Append(tx, std::move(event)).status();
    }));
  }
  return Status::Ok();
}

Status CertificateService::ExpireDue(MaintenanceReport* report) {
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(auto due, CertificateStore::DueToExpire(db_, now));
  for (const Certificate& cert : due) {
    bool moved = false;
    RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
      ASSIGN_OR_RETURN(moved,
                       CertificateStore::Transition(tx, cert, CertificateStatus::kExpired, now));
      if (!moved) return Status::Ok();  // another replica recorded it
      RETURN_IF_ERROR(CertificateStore::BumpVersion(tx, cert.account_id).status());
      bool retired = cert.retires_at && *cert.retires_at <= now;
      AuditEvent event =
          AuditEvent::For(kSchedulerContext, cert.account_id,
                          retired ? "certificate.retire" : "certificate.expire", cert.id);
      event.details = {{"kid", cert.kid}};
      return audit_.Append(tx, std::move(event)).status();
    }));
    if (moved) {
      ++report->expired;
      snapshots_.Invalidate(cert.account_id);
    }
  }
  return Status::Ok();
}

Status CertificateService::RotateDue(MaintenanceReport* report) {
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(auto due, CertificateStore::DuePolicies(db_, now));
  for (const RotationPolicy& policy : due) {
    ASSIGN_OR_RETURN(AsymmetricKey key, pool_.Take(policy.algorithm, policy.key_size));
    bool claimed = false;
    RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
      TimePoint activates = now + options_.jwks_max_age;
      TimePoint after =
          activates + std::chrono::seconds(policy.rotation_period) - options_.jwks_max_age;
      ASSIGN_OR_RETURN(claimed, CertificateStore::ClaimRotation(tx, policy.account_id,
                                                                policy.next_rotation_at, after));
      if (!claimed) return Status::Ok();  // another replica rotated it
      ASSIGN_OR_RETURN(Certificate next, RotateInTx(tx, policy.account_id, key, policy.overlap,
                                                    kSchedulerContext, now));
      if (*next.activates_at == activates) return Status::Ok();
      // Nothing was signing (the signer was revoked): the new key signs at
      // once, and the schedule counts from now.
      TimePoint restarted =
          *next.activates_at + std::chrono::seconds(policy.rotation_period) - options_.jwks_max_age;
      return CertificateStore::ClaimRotation(tx, policy.account_id, after, restarted).status();
    }));
    if (claimed) {
      ++report->rotated;
      snapshots_.Invalidate(policy.account_id);
    }
  }
  return Status::Ok();
}

}  // namespace latchkey
