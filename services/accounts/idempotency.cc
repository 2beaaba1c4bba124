#include "services/accounts/idempotency.h"

#include "common/crypto.h"
#include "common/ids.h"
#include "services/accounts/idempotency_store.h"

namespace latchkey {
namespace {

using Kind = IdempotencyDecision::Kind;

IdempotencyDecision Decide(Kind kind) {
  IdempotencyDecision d;
  d.kind = kind;
  return d;
}

IdempotencyDecision Running(const std::string& lease) {
  IdempotencyDecision d = Decide(Kind::kRun);
  d.lease = lease;
  return d;
}

// What to do with a key the account already has, at `now`; `row` is the
// request asking. Takes the key over when it has expired or was abandoned.
Result<IdempotencyDecision> DecideExisting(SqlExecutor& tx, const IdempotencyRow& existing,
                                           const IdempotencyRow& row, int64_t now) {
  int64_t retention = IdempotencyKeys::kRetention.count();
  bool expired = existing.created_at <= now - retention;
  if (!expired && existing.request_hash != row.request_hash) return Decide(Kind::kMismatch);
  if (!expired && existing.status) {
    IdempotencyDecision d = Decide(Kind::kReplay);
    d.status = *existing.status;
    d.response = existing.response;
    return d;
  }
  if (!expired && existing.locked_until > now) {
    IdempotencyDecision d = Decide(Kind::kInProgress);
    d.retry_after = 1;  // most creates take well under a second
    return d;
  }
  ASSIGN_OR_RETURN(bool taken, IdempotencyStore::TakeOver(tx, row, existing.lease));
  if (taken) return Running(row.lease);
  IdempotencyDecision d = Decide(Kind::kInProgress);
  d.retry_after = 1;
  return d;
}

}  // namespace

const std::vector<Migration>& IdempotencyKeys::Migrations() {
  return IdempotencyStore::Migrations();
}

const std::vector<std::string>& IdempotencyKeys::OwnedTables() {
  return IdempotencyStore::OwnedTables();
}

std::string IdempotencyKeys::KeyHash(const std::string& caller_id, const std::string& key) {
  return Sha256Hex(caller_id + "\n" + key);
}

std::string IdempotencyKeys::RequestHash(const std::string& key, const std::string& request_text) {
  Bytes mac = HmacSha256(key, request_text);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

Result<IdempotencyDecision> IdempotencyKeys::Begin(const std::string& account_id,
                                                   const std::string& key_hash,
                                                   const std::string& request_hash) {
  int64_t now = ToUnix(clock_.Now());
  IdempotencyRow row;
  row.account_id = account_id;
  row.key_hash = key_hash;
  row.request_hash = request_hash;
  row.locked_until = now + kLease.count();
  row.created_at = now;
  row.lease = NewId("lease");
  return TransactionValue<IdempotencyDecision>(
      db_, [&](SqlExecutor& tx) -> Result<IdempotencyDecision> {
        ASSIGN_OR_RETURN(bool inserted, IdempotencyStore::InsertIfAbsent(tx, row));
        if (inserted) return Running(row.lease);
        ASSIGN_OR_RETURN(auto existing, IdempotencyStore::Get(tx, account_id, key_hash));
        // Purged between the two statements: the next attempt inserts.
        if (!existing) return Unavailable("the Idempotency-Key changed meanwhile; retry");
        return DecideExisting(tx, *existing, row, now);
      });
}

Status IdempotencyKeys::Complete(const std::string& account_id, const std::string& key_hash,
                                 const std::string& lease, int status,
                                 const std::string& response) {
  return IdempotencyStore::Complete(db_, account_id, key_hash, lease, status, response);
}

Status IdempotencyKeys::Release(const std::string& account_id, const std::string& key_hash,
                                const std::string& lease) {
  return IdempotencyStore::Release(db_, account_id, key_hash, lease);
}

Result<int64_t> IdempotencyKeys::Purge() {
  int64_t cutoff = ToUnix(clock_.Now()) - kRetention.count();
  return IdempotencyStore::DeleteOlderThan(db_, cutoff);
}

}  // namespace latchkey
