// CredentialService: write-only provider keys and named, typed secrets.
//
// Values are sealed with the account's data key (AAD binds the account,
// the kind — "provider_credential" or "secret" — and the provider id or
// secret name) and never leave this service except as an Injection handed
// to the proxy through CredentialSource. Reads return masked summaries:
// whether a value is set and its last four characters (only for values of
// at least 12 characters, so a short part is never half revealed).
//
// Resolve (the proxy's path, once per call) keeps each credential's row in
// memory still sealed, and opens it per call. Changes made through this
// service drop the cached row at once; a row changed by another replica is
// read again once the cached copy is older than `cache_ttl` (1 s).
//
// Layout: the SQL is in credential_store.h; the provider-key methods are
// defined in provider_keys.cc, the typed-secret ones in secrets.cc, the
// shared parts (migrations, Resolve, RecordUses) in credentials.cc.
//
// Errors: a stored row or sealed value that does not read back is DataLoss.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/credential_source.h"
#include "common/database.h"
#include "common/envelope.h"
#include "common/migrations.h"
#include "common/row_cache.h"
#include "services/credentials/providers.h"

namespace latchkey {

// ---- provider keys ----

struct ProviderKeysUpdate {
  // Provider id → new key, or nullopt to remove it.
  std::vector<std::pair<std::string, std::optional<std::string>>> keys;
  // Provider id → allowed hosts replacing the defaults, or nullopt to
  // go back to them.
  std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> hosts;
  // Provider id → base URL of calls by path (an absolute http(s) URL,
  // perhaps with a path, without query or fragment) replacing the
  // default, or nullopt to go back to it. Its host must be an allowed host
  // when the key has hosts of its own; otherwise it becomes the only one.
  std::vector<std::pair<std::string, std::optional<std::string>>> base_urls;
};

struct ProviderSummary {
  const ProviderInfo* provider = nullptr;
  bool has_key = false;
  std::optional<std::string> last4;
  std::vector<std::string> allowed_hosts;  // effective
  bool custom_hosts = false;
  std::string base_url;  // effective
  bool custom_base_url = false;
  std::optional<TimePoint> updated_at;
  std::optional<TimePoint> last_used_at;
  int64_t use_count = 0;
};

struct CredentialsSummary {
  std::vector<ProviderSummary> providers;  // every provider, in registry order
  std::optional<TimePoint> updated_at;     // latest change of any key
};

// ---- typed secrets ----

enum class SecretType { kApiKey, kBasicAuth, kCookie, kCustomHeader, kQueryParam };
std::string_view SecretTypeName(SecretType t);  // "API_KEY", ...
std::optional<SecretType> ParseSecretType(std::string_view text);

// The parts of a secret; which are used depends on the type.
struct SecretValue {
  std::string value;                                         // API_KEY, QUERY_PARAM
  std::string username, password;                            // BASIC_AUTH
  std::string cookies;                                       // COOKIE
  std::vector<std::pair<std::string, std::string>> headers;  // CUSTOM_HEADER: name → value
  std::string param;                                         // QUERY_PARAM: name (not secret)

  SecretValue() = default;
  SecretValue(const SecretValue&) = default;
  SecretValue& operator=(const SecretValue&) = default;
  ~SecretValue();
};

struct SecretWrite {
  SecretType type = SecretType::kApiKey;
  std::optional<std::vector<std::string>> allowed_hosts;  // required on create
  SecretValue value;
  // Where calls by path go (as ProviderKeysUpdate::base_urls; its host must
  // be an allowed host). Absent: none on create, unchanged on replace;
  // nullopt inside: removed.
  std::optional<std::optional<std::string>> base_url;
};

struct MaskedPart {
  std::string part;  // "value", "password", "headers.X-Api-Key", ...
  std::optional<std::string> last4;
};

struct SecretInfo {
  std::string id;  // "sec_..."
  std::string account_id;
  std::string name;
  SecretType type = SecretType::kApiKey;
  std::vector<std::string> allowed_hosts;
  std::vector<MaskedPart> parts;
  std::optional<std::string> param;     // QUERY_PARAM's parameter name
  std::optional<std::string> base_url;  // absent: not reachable by path
  int64_t version = 1;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> last_used_at;
  int64_t use_count = 0;
};

class CredentialService final : public CredentialSource {
 public:
  static constexpr size_t kMinProviderKeyLength = 12;
  static constexpr size_t kMaxValueLength = 8192;
  static constexpr size_t kMaxHosts = 32;
  static constexpr size_t kMaxHeaders = 16;
  static constexpr int64_t kMaxSecretsPerAccount = 1000;
  static constexpr size_t kCacheCapacity = 100000;  // cached rows

  // Reads of use counts (Summary, ListSecrets, GetSecret) first sync with
  // `uses_writer` when given: the proxy records uses through it.
  CredentialService(Database& db, Envelope& envelope, AuditLog& audit, const Clock& clock,
                    AuditWriter* uses_writer = nullptr,
                    std::chrono::milliseconds cache_ttl = std::chrono::seconds(1))
      : db_(db),
        envelope_(envelope),
        audit_(audit),
        clock_(clock),
        uses_writer_(uses_writer),
        cache_(cache_ttl, kCacheCapacity) {}

  // Applied under the component name "credentials".
  static const std::vector<Migration>& Migrations();
  // Tables whose rows die with their account.
  static std::vector<std::string> OwnedTables();

  // All-or-nothing: InvalidArgument (naming the field) for an unknown
  // provider, a key shorter than 12 characters, with control characters or
  // not UTF-8, a bad host pattern, or hosts for a provider without a key.
  // Returns the summary after the change.
  Result<CredentialsSummary> PutProviderKeys(const std::string& account_id,
                                             const ProviderKeysUpdate& update,
                                             const AuditContext& ctx);
  Result<CredentialsSummary> Summary(const std::string& account_id);

  // InvalidArgument for a bad name, type, part or host list; AlreadyExists
  // if the name is taken; FailedPrecondition at kMaxSecretsPerAccount.
  Result<SecretInfo> CreateSecret(const std::string& account_id, const std::string& name,
                                  const SecretWrite& write, const AuditContext& ctx);
  // Ordered by name.
  Result<std::vector<SecretInfo>> ListSecrets(const std::string& account_id);
  // NotFound if the account has no secret by that name.
  Result<SecretInfo> GetSecret(const std::string& account_id, const std::string& name);
  // A new version of the value (and hosts, if given); NotFound if absent,
  // InvalidArgument as CreateSecret.
  Result<SecretInfo> ReplaceSecret(const std::string& account_id, const std::string& name,
                                   const SecretWrite& write, const AuditContext& ctx);
  // NotFound if absent.
  Status DeleteSecret(const std::string& account_id, const std::string& name,
                      const AuditContext& ctx);

  // CredentialSource: a provider id ("openai") or a secret name. NotFound
  // if the account has none by that name; DataLoss if it does not open.
  Result<Injection> Resolve(const std::string& account_id, const std::string& name) override;
  Status Exists(const std::string& account_id, const std::string& name) override {
    return Read(account_id, name).status();
  }
  Status RecordUses(SqlExecutor& tx, const std::string& account_id, const std::string& name,
                    int64_t count, TimePoint last_used) override;

  // Drops the account's cached rows (after the account is deleted).
  void ForgetAccount(const std::string& account_id);

 private:
  // What Resolve needs of a stored credential, as stored (sealed).
  struct StoredCredential {
    const ProviderInfo* provider = nullptr;  // set for a provider key
    SecretType type = SecretType::kApiKey;   // for a secret
    Bytes sealed;
    std::vector<std::string> allowed_hosts;
    std::string base_url;  // empty: not reachable by path
  };

  Result<CredentialsSummary> SummaryIn(SqlExecutor& exec, const std::string& account_id);
  // The database's row (NotFound if absent).
  Result<std::shared_ptr<const StoredCredential>> Read(const std::string& account_id,
                                                       const std::string& name);

  // Waits for the uses recorded so far, if there is a writer.
  Status SyncUses() { return uses_writer_ ? uses_writer_->Sync() : Status::Ok(); }

  // Set at construction and never reassigned; each is safe for concurrent
  // use on its own, so none needs a lock here.
  Database& db_;
  Envelope& envelope_;
  AuditLog& audit_;
  const Clock& clock_;
  AuditWriter* const uses_writer_;

  // Guarded by its own mutex (RowCache::mu_); this class holds no lock of
  // its own. By account id + '\n' + credential name; entries stay sealed.
  RowCache<StoredCredential> cache_;
};

}  // namespace latchkey
