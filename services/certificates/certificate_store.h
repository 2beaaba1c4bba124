// CertificateStore: the SQL behind the certificates service. Stateless; every
// function runs on the executor it is given, so callers compose them inside
// one transaction. Each write that changes what an account publishes must be
// followed by BumpVersion in the same transaction: that counter is how other
// replicas notice a change.
//
// Thread-safety: stateless; see SqlExecutor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/migrations.h"
#include "services/certificates/certificate.h"

namespace latchkey {

class CertificateStore {
 public:
  static const std::vector<Migration>& Migrations();
  // Tables whose rows belong to an account (removed with it).
  static const std::vector<std::string>& OwnedTables();

  // Inserts `cert` and bumps the account's version; the new version becomes
  // the certificate's `seq`, its place in the account's creation order.
  static Result<Certificate> Insert(SqlExecutor& tx, Certificate cert,
                                    const std::optional<Bytes>& sealed_private_key);
  // nullopt if the account has no such certificate.
  static Result<std::optional<Certificate>> Get(SqlExecutor& exec, const std::string& account_id,
                                                const std::string& id);
  // The account's certificates, newest first.
  static Result<std::vector<Certificate>> List(SqlExecutor& exec, const std::string& account_id);
  // The certificate with this kid in any account.
  static Result<std::optional<Certificate>> FindByKid(SqlExecutor& exec, const std::string& kid);
  // The sealed private key of a managed certificate (nullopt otherwise).
  static Result<std::optional<Bytes>> SealedPrivateKey(SqlExecutor& exec,
                                                       const std::string& account_id,
                                                       const std::string& id);
  // Active rows whose expiry or retirement is at or before `now`, all accounts.
  static Result<std::vector<Certificate>> DueToExpire(SqlExecutor& exec, TimePoint now);

  // Active certificates whose certificate.expiring notice is due: within 7
  // days of expiry with none raised, or within 1 day with only the 7-day one.
  static Result<std::vector<Certificate>> DueExpiryNotice(SqlExecutor& exec, TimePoint now);
  // Records the `days` (7 or 1) notice; false if it (or a later one) was
  // already raised, by this replica or another.
  static Result<bool> MarkExpiryNotice(SqlExecutor& tx, const std::string& id, int days);
  // Moves an active certificate to `status`; returns false if it was not
  // active (someone else got there first).
  static Result<bool> Transition(SqlExecutor& tx, const Certificate& cert, CertificateStatus status,
                                 TimePoint now);
  static Status SetRetiresAt(SqlExecutor& tx, const Certificate& cert, TimePoint retires_at,
                             TimePoint now);
  static Status Delete(SqlExecutor& tx, const std::string& account_id, const std::string& id);

  // The account's change counter; 0 if it never had a certificate.
  static Result<int64_t> Version(SqlExecutor& exec, const std::string& account_id);
  // Returns the new version.
  static Result<int64_t> BumpVersion(SqlExecutor& tx, const std::string& account_id);

  static Status PutPolicy(SqlExecutor& tx, const RotationPolicy& policy);
  static Result<std::optional<RotationPolicy>> GetPolicy(SqlExecutor& exec,
                                                         const std::string& account_id);
  static Result<std::vector<RotationPolicy>> DuePolicies(SqlExecutor& exec, TimePoint now);
  // Moves next_rotation_at from `expected` to `next`; false if another
  // replica already did (so each rotation happens once).
  static Result<bool> ClaimRotation(SqlExecutor& tx, const std::string& account_id,
                                    TimePoint expected, TimePoint next);
};

}  // namespace latchkey
