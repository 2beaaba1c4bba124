// KeySnapshot / KeySnapshotCache: what an account publishes (its JWKS, ready
// to send) and signs with (its current managed key, parsed), held in memory
// so the public routes and token signing never query and re-encode per
// request.
//
// A snapshot is rebuilt when
//   - this process changed the account's keys (Invalidate),
//   - the account's version counter moved (another replica changed them;
//     checked at most once per `check_interval`, 1 s by default, so this
//     replica signs, verifies and publishes by another's change within
//     that bound), or
//   - its own clock deadline passed (a key expires, retires, or starts
//     signing; the rotation policy publishes the next key).
//
// Thread-safety: safe for concurrent use; snapshots are immutable and
// shared.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/database.h"
#include "common/envelope.h"
#include "services/certificates/asymmetric_key.h"
#include "services/certificates/certificate.h"

namespace latchkey {

// The sealing kind of a managed private key (AAD "account:kind:certId").
inline constexpr char kPrivateKeyKind[] = "certificate_private_key";

struct PublishedKey {
  Certificate cert;
  AsymmetricKey key;  // public half, parsed
};

struct KeySnapshot {
  std::string account_id;
  int64_t version = 0;  // 0: the account never had a certificate
  TimePoint built_at;
  // The next scheduled change of the key set (an expiry, a retirement, the
  // next rotation); TimePoint::max() if none is scheduled.
  TimePoint jwks_changes_at = TimePoint::max();
  // When this snapshot stops being right (also covers a signer switch).
  TimePoint rebuild_at = TimePoint::max();
  std::string jwks_json;           // RFC 7517 JWK Set
  std::string etag;                // strong, quoted
  std::vector<PublishedKey> keys;  // verifiable keys, newest first
  // The managed key that signs now, with its private half.
  std::optional<PublishedKey> signer;
  Status signer_status;  // why there is no signer, when there is none

  const PublishedKey* Find(std::string_view kid) const;
  std::vector<std::string> Algorithms() const;  // distinct, sorted
};

class KeySnapshotCache {
 public:
  KeySnapshotCache(Database& db, const Envelope& envelope, const Clock& clock,
                   std::chrono::seconds check_interval)
      : db_(db), envelope_(envelope), clock_(clock), check_interval_(check_interval) {}

  // The account's snapshot. Errors only when the database fails.
  Result<std::shared_ptr<const KeySnapshot>> Get(const std::string& account_id);
  // Drops the account's snapshot (call after committing a change).
  void Invalidate(const std::string& account_id);

  // Builds a snapshot from the database at `now` (exposed for tests).
  static Result<std::shared_ptr<const KeySnapshot>> Build(SqlExecutor& exec,
                                                          const Envelope& envelope,
                                                          const std::string& account_id,
                                                          int64_t version, TimePoint now);

 private:
  struct Entry {
    std::shared_ptr<const KeySnapshot> snapshot;
    TimePoint checked_at;
  };

  Database& db_;
  const Envelope& envelope_;
  const Clock& clock_;
  const std::chrono::seconds check_interval_;

  std::mutex mu_;  // guards entries_ and generation_
  std::map<std::string, Entry> entries_;
  // Bumped by Invalidate: a snapshot built from a read that began before an
  // Invalidate is never cached after it.
  uint64_t generation_ = 0;
};

}  // namespace latchkey
