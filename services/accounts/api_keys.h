// ApiKeyService: account-scoped API keys.
//
// A key looks like "lk_key_<20 base32>.<43 base64url>": its id in clear
// text, a dot, and 256 random bits. Only SHA-256 of the whole key is
// stored; Authenticate() looks the row up by the embedded id and compares
// hashes in constant time.
//
// Rows read by Authenticate() are cached in memory for `cache_ttl` (by the
// injected clock), so the hot path does not touch the database. A revocation
// or account deletion made through this process takes effect on the next
// request; one made by another replica on a shared database takes effect
// once the cached row is older than `cache_ttl` (1 s by default).
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/database.h"
#include "common/migrations.h"
#include "common/principal.h"
#include "common/row_cache.h"

namespace latchkey {

struct ApiKey {
  std::string id;  // "key_..."
  std::string account_id;
  std::string name;
  std::vector<std::string> scopes;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> last_used_at;
  // If set, the only credentials this key may use through the proxy.
  std::optional<std::vector<std::string>> credentials;
};

struct NewApiKey {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<TimePoint> expires_at;
  std::optional<std::vector<std::string>> credentials;
};

// A freshly created key; `token` is the only copy of the secret there will
// ever be.
struct CreatedApiKey {
  ApiKey key;
  std::string token;
};

struct ApiKeyOptions {
  // How long an authenticated key's row may be served from memory; zero
  // reads the database on every request.
  std::chrono::seconds cache_ttl{1};
  // Rows kept at most; past it the cache starts over.
  size_t cache_capacity = 10000;
  // When set, denial events go through it, off the request path (the
  // daemon); otherwise each is its own transaction.
  AuditWriter* writer = nullptr;
};

class ApiKeyService {
 public:
  ApiKeyService(Database& db, AuditLog& audit, const Clock& clock, ApiKeyOptions options = {})
      : db_(db),
        audit_(audit),
        clock_(clock),
        options_(options),
        cache_(options.cache_ttl, options.cache_capacity) {}

  static const std::vector<Migration>& Migrations();

  // InvalidArgument for a bad name, an unknown or repeated scope, no scope,
  // or an expiry in the past.
  Result<CreatedApiKey> Create(const std::string& account_id, const NewApiKey& request,
                               const AuditContext& ctx);
  // Creates a key on behalf of `creator`, which can only hand on what it
  // holds: PermissionDenied unless the new key's scopes are a subset of the
  // creator's, its credential restriction (if the creator has one) a subset
  // of the creator's, and its expiry no later than the creator's. A request
  // that names no restriction or expiry inherits the creator's. Then,
  // when given, `check_credential` vets each credential the request names
  // (its error is returned as is).
  Result<CreatedApiKey> CreateFor(
      const Principal& creator, NewApiKey request, const AuditContext& ctx,
      const std::function<Status(const std::string&)>& check_credential = nullptr);
  // Same, inside the caller's transaction (used when creating an account).
  Result<CreatedApiKey> CreateInTx(SqlExecutor& tx, const std::string& account_id,
                                   const NewApiKey& request, const AuditContext& ctx);

  // Unrevoked keys of the account, newest first.
  Result<std::vector<ApiKey>> List(const std::string& account_id);

  // NotFound if the key does not exist in this account or is already revoked.
  Status Revoke(const std::string& account_id, const std::string& key_id, const AuditContext& ctx);

  // Unauthenticated (one generic message) for a malformed, unknown, wrong,
  // expired or revoked key. Failed attempts against a real key id are
  // audited in that key's account: the first of each kind per key in a
  // kDenialWindow as an event of its own, the rest counted and reported
  // (as "suppressed") in the next event for that key and kind, or by
  // FlushDenials() once the window has ended, so a caller who knows a key id
  // cannot grow the account's chain at will and no denial goes unreported.
  Result<Principal> Authenticate(std::string_view token, const AuditContext& ctx);

  // Authenticate from memory only, for a request thread: nullopt when that
  // is not enough (the key's row is not cached, or its last use is due to
  // be written), and a worker should call Authenticate instead.
  std::optional<Result<Principal>> AuthenticateFromMemory(std::string_view token,
                                                          const AuditContext& ctx);

  // Reports the denials still counted in windows that have ended (one
  // auth.denied event each, with "suppressed") and forgets those windows.
  // Run periodically (the daemon: every kDenialWindow); returns how many
  // events it wrote.
  // `all` also reports windows still open (at shutdown).
  int FlushDenials(bool all = false);

  // Audits a request refused for a missing scope.
  void RecordScopeDenied(const Principal& principal, std::string_view scope,
                         const AuditContext& ctx);

  // Removes every key of an account (inside the account deletion); call
  // ForgetAccount() once that transaction has committed.
  static Status DeleteAll(SqlExecutor& tx, const std::string& account_id);
  // Drops the account's cached keys.
  void ForgetAccount(const std::string& account_id);

  static constexpr std::chrono::seconds kDenialWindow{60};

 private:
  struct CachedKey {
    ApiKey key;
    std::string secret_hash;
    mutable std::atomic<int64_t> last_used_at{0};  // unix seconds, 0 = never
  };

  Result<std::shared_ptr<const CachedKey>> Lookup(const std::string& key_id, TimePoint now);
  // The checks after the lookup: secret, revocation, expiry.
  Result<Principal> Check(const CachedKey& cached, std::string_view token, TimePoint now,
                          const AuditContext& ctx);
  void RecordDenied(const std::string& account_id, const std::string& key_id,
                    std::string_view reason, const AuditContext& ctx);

  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  const ApiKeyOptions options_;

  RowCache<CachedKey> cache_;  // by key id

  struct DenialWindow {
    TimePoint started;
    int64_t suppressed = 0;  // denials since the last event, not yet reported
    std::string account_id;
    std::string key_id;
    std::string reason;
    AuditContext last;  // of the newest suppressed denial
  };
  void AppendDenied(const DenialWindow& window, const AuditContext& ctx);

  static constexpr size_t kMaxDenialWindows = 100000;
  std::mutex denials_mu_;
  // Guarded by denials_mu_; by key id + reason. Bounded: when full, windows
  // that have ended are flushed first, and only then is the map cleared.
  std::unordered_map<std::string, DenialWindow> denials_;
};

}  // namespace latchkey
