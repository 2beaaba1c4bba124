// IdempotencyKeys: remembers, per account, which Idempotency-Key a create
// request came with, so that a client retrying after a timeout gets the
// first response instead of a second resource (Stripe's convention).
//
//   Begin(...)     -> kRun: do the work, then Complete (or Release if it
//                     failed, so that a retry runs it again)
//                  -> kReplay: the stored status and body
//                  -> kMismatch: the key came with a different request
//                  -> kInProgress: the first request is still running
//
// Keys live kRetention from their first use and are shared by every
// replica through the database. A request that holds a key and never
// finishes (its server died) holds it for kLease, after which a retry
// runs the request again.
//
// Thread-safety: thread-safe (the database serializes Begin per key).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"

namespace latchkey {

struct IdempotencyDecision {
  enum class Kind { kRun, kReplay, kMismatch, kInProgress };
  Kind kind = Kind::kRun;
  std::string lease;        // kRun: pass to Complete or Release
  int status = 0;           // kReplay: the first response's status
  std::string response;     // kReplay: its stored body
  int64_t retry_after = 0;  // kInProgress: seconds to wait before asking again
};

class IdempotencyKeys {
 public:
  static constexpr std::chrono::seconds kRetention{24 * 3600};
  static constexpr std::chrono::seconds kLease{300};

  static const std::vector<Migration>& Migrations();
  static const std::vector<std::string>& OwnedTables();

  IdempotencyKeys(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The digest that names an Idempotency-Key `key` sent by the API key
  // `caller_id` (the key itself is never stored).
  static std::string KeyHash(const std::string& caller_id, const std::string& key);
  // The digest of what makes a request the same request: an HMAC under the
  // Idempotency-Key, so that a secret in a body cannot be guessed offline
  // from a copy of the database.
  static std::string RequestHash(const std::string& key, const std::string& request_text);

  // `key_hash` and `request_hash` are digests made by the caller: of the
  // key, and of everything that makes two requests the same request.
  Result<IdempotencyDecision> Begin(const std::string& account_id, const std::string& key_hash,
                                    const std::string& request_hash);
  // Stores the response to replay, if the request Begin said to run (its
  // `lease`) still holds the key: one whose lease ran out and was taken
  // over by a retry changes nothing.
  Status Complete(const std::string& account_id, const std::string& key_hash,
                  const std::string& lease, int status, const std::string& response);
  // Forgets the key (its request failed), under the same condition.
  Status Release(const std::string& account_id, const std::string& key_hash,
                 const std::string& lease);
  // Deletes keys older than kRetention (the maintenance job); how many.
  Result<int64_t> Purge();

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace latchkey
