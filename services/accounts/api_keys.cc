#include "services/accounts/api_keys.h"

#include <algorithm>
#include <set>

#include "common/credential_source.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/names.h"
#include "common/strings.h"
#include "services/accounts/api_key_store.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

constexpr char kTokenPrefix[] = "lk_";
// One message for an unknown key id and a wrong secret: a guesser learns
// nothing from the text. (The time to answer can tell a cached key id from
// an unknown one; key ids are not secret.) A caller holding the real key
// learns more (revoked, expired).
constexpr char kUnknownKey[] = "unknown API key: no key has this id and secret";
constexpr char kMalformedKey[] =
    "malformed API key: expected lk_key_….secret, exactly as it was shown when created";
constexpr int64_t kLastUsedGranularity = 60;  // seconds between last_used_at writes

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// The id embedded in "lk_key_<20>.<43>", or nullopt for a malformed token.
std::optional<std::string> KeyIdOf(std::string_view token) {
  std::string_view prefix = kTokenPrefix;
  size_t dot = token.find('.');
  if (token.substr(0, prefix.size()) != prefix || dot == std::string_view::npos) {
    return std::nullopt;
  }
  std::string key_id(token.substr(prefix.size(), dot - prefix.size()));
  if (!IsValidId(key_id, "key")) return std::nullopt;
  return key_id;
}

// 1-32 names, each a credential name or oauth:otk_….
Status CheckRestrictionShape(const NewApiKey& request) {
  if (!request.credentials) return Status::Ok();
  if (request.credentials->empty() || request.credentials->size() > 32) {
    return InvalidArgument("credentials must name 1-32 credentials");
  }
  for (const auto& name : *request.credentials) {
    bool oauth_token =
        name.rfind(kOAuthCredentialPrefix, 0) == 0 &&
        IsValidId(std::string_view(name).substr(sizeof(kOAuthCredentialPrefix) - 1), "otk");
    if (!IsCredentialName(name) && !oauth_token) {
      return InvalidArgument("credentials: '" + name.substr(0, 64) + "' is not a credential name");
    }
  }
  return Status::Ok();
}

bool LastUsedDue(int64_t last_used, TimePoint now) {
  return last_used == 0 || ToUnix(now) - last_used >= kLastUsedGranularity;
}

}  // namespace

const std::vector<Migration>& ApiKeyService::Migrations() { return ApiKeyStore::Migrations(); }

Result<CreatedApiKey> ApiKeyService::Create(const std::string& account_id, const NewApiKey& request,
                                            const AuditContext& ctx) {
  return TransactionValue<CreatedApiKey>(
      db_, [&](SqlExecutor& tx) { return CreateInTx(tx, account_id, request, ctx); });
}

Result<CreatedApiKey> ApiKeyService::CreateFor(
    const Principal& creator, NewApiKey request, const AuditContext& ctx,
    const std::function<Status(const std::string&)>& check_credential) {
  bool named = request.credentials.has_value();
  for (const auto& scope : request.scopes) {
    if (scopes::IsKnown(scope) && !creator.HasScope(scope)) {
      return PermissionDenied("scopes: this API key cannot grant '" + scope +
                              "', which it does not hold");
    }
  }
  if (creator.credentials) {
    if (!request.credentials) {
      request.credentials = creator.credentials;
    } else {
      for (const auto& name : *request.credentials) {
        if (std::find(creator.credentials->begin(), creator.credentials->end(), name) ==
            creator.credentials->end()) {
          return PermissionDenied("credentials: this API key cannot grant '" + name.substr(0, 64) +
                                  "', which it may not use itself");
        }
      }
    }
  }
  if (creator.expires_at) {
    if (!request.expires_at) {
      request.expires_at = creator.expires_at;
    } else if (*request.expires_at > *creator.expires_at) {
      return PermissionDenied("expiresAt: this API key expires at " +
                              FormatIso8601(*creator.expires_at) +
                              " and cannot create one that outlives it");
    }
  }
  if (named && check_credential) {
    RETURN_IF_ERROR(CheckRestrictionShape(request));  // before any lookup
    for (const auto& name : *request.credentials) RETURN_IF_ERROR(check_credential(name));
  }
  return Create(creator.account_id, request, ctx);
}

Result<CreatedApiKey> ApiKeyService::CreateInTx(SqlExecutor& tx, const std::string& account_id,
                                                const NewApiKey& request, const AuditContext& ctx) {
  RETURN_IF_ERROR(ValidateName(request.name));
  if (request.scopes.empty()) return InvalidArgument("scopes must name at least one scope");
  std::set<std::string> seen;
  for (const auto& scope : request.scopes) {
    if (!scopes::IsKnown(scope)) {
      return InvalidArgument("scopes: " + UnknownName("scope", scope, scopes::All()));
    }
    if (!seen.insert(scope).second) return InvalidArgument("scopes: '" + scope + "' is repeated");
  }
  TimePoint now = clock_.Now();
  if (request.expires_at && *request.expires_at <= now) {
    return InvalidArgument("expiresAt must be in the future");
  }
  RETURN_IF_ERROR(CheckRestrictionShape(request));
  CreatedApiKey created;
  ApiKey& key = created.key;
  key.id = NewTimeOrderedId("key");
  key.account_id = account_id;
  key.name = request.name;
  key.scopes = request.scopes;
  key.created_at = now;
  key.expires_at = request.expires_at;
  key.credentials = request.credentials;
  Bytes secret = RandomBytes(32);
  created.token = kTokenPrefix + key.id + "." + Base64UrlEncode(AsView(secret));
  SecureWipe(secret.data(), secret.size());
  RETURN_IF_ERROR(ApiKeyStore::Insert(tx, key, Sha256Hex(created.token)));
  AuditEvent event = AuditEvent::For(ctx, account_id, "api_key.create", key.id);
  event.details = {{"name", key.name}, {"scopes", JoinScopes(key.scopes)}};
  if (key.credentials) event.details.emplace_back("credentials", JoinScopes(*key.credentials));
  RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
  return created;
}

Result<std::vector<ApiKey>> ApiKeyService::List(const std::string& account_id) {
  return ApiKeyStore::ListActive(db_, account_id);
}

Status ApiKeyService::Revoke(const std::string& account_id, const std::string& key_id,
                             const AuditContext& ctx) {
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(bool revoked, ApiKeyStore::Revoke(tx, account_id, key_id, clock_.Now()));
    if (!revoked) return NotFound("API key not found");
    AuditEvent event = AuditEvent::For(ctx, account_id, "api_key.revoke", key_id);
    return audit_.Append(tx, std::move(event)).status();
  }));
  cache_.Forget(
      [&](const std::string&, const CachedKey& cached) { return cached.key.id == key_id; });
  return Status::Ok();
}

void ApiKeyService::ForgetAccount(const std::string& account_id) {
  cache_.Forget([&](const std::string&, const CachedKey& cached) {
    return cached.key.account_id == account_id;
  });
}

Result<std::shared_ptr<const ApiKeyService::CachedKey>> ApiKeyService::Lookup(
    const std::string& key_id, TimePoint now) {
  return cache_.Get(key_id, now, [&]() -> Result<std::shared_ptr<const CachedKey>> {
    ASSIGN_OR_RETURN(std::optional<StoredApiKey> stored, ApiKeyStore::Get(db_, key_id));
    if (!stored) return std::shared_ptr<const CachedKey>();
    auto cached = std::make_shared<CachedKey>();
    cached->key = std::move(stored->key);
    cached->secret_hash = std::move(stored->secret_hash);
    if (cached->key.last_used_at) cached->last_used_at = ToUnix(*cached->key.last_used_at);
    return std::shared_ptr<const CachedKey>(std::move(cached));
  });
}

Result<Principal> ApiKeyService::Check(const CachedKey& cached, std::string_view token,
                                       TimePoint now, const AuditContext& ctx) {
  const ApiKey& key = cached.key;
  if (!ConstantTimeEquals(Sha256Hex(token), cached.secret_hash)) {
    RecordDenied(key.account_id, key.id, "invalid_secret", ctx);
    return Unauthenticated(kUnknownKey);
  }
  if (key.revoked_at) {
    RecordDenied(key.account_id, key.id, "revoked", ctx);
    return Unauthenticated("API key revoked at " + FormatIso8601(*key.revoked_at) +
                           ": use another key, or create one with POST /api-keys");
  }
  if (key.expires_at && *key.expires_at <= now) {
    RecordDenied(key.account_id, key.id, "expired", ctx);
    return Unauthenticated("API key expired at " + FormatIso8601(*key.expires_at) +
                           ": use another key, or create one with POST /api-keys");
  }
  return Principal{key.account_id, key.id, key.scopes, key.credentials, key.expires_at};
}

std::optional<Result<Principal>> ApiKeyService::AuthenticateFromMemory(std::string_view token,
                                                                       const AuditContext& ctx) {
  std::optional<std::string> key_id = KeyIdOf(token);
  if (!key_id) return Result<Principal>(Unauthenticated(kMalformedKey));
  TimePoint now = clock_.Now();
  std::shared_ptr<const CachedKey> cached = cache_.Peek(*key_id, now);
  if (!cached || LastUsedDue(cached->last_used_at.load(), now)) return std::nullopt;
  return Check(*cached, token, now, ctx);
}

Result<Principal> ApiKeyService::Authenticate(std::string_view token, const AuditContext& ctx) {
  std::optional<std::string> key_id = KeyIdOf(token);
  if (!key_id) return Unauthenticated(kMalformedKey);
  TimePoint now = clock_.Now();
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedKey> cached, Lookup(*key_id, now));
  if (!cached) return Unauthenticated(kUnknownKey);
  ASSIGN_OR_RETURN(Principal principal, Check(*cached, token, now, ctx));
  int64_t last_used = cached->last_used_at.load();
  if (LastUsedDue(last_used, now) &&
      cached->last_used_at.compare_exchange_strong(last_used, ToUnix(now))) {
    // Best effort: a failed bookkeeping write must not refuse a valid key.
    ApiKeyStore::SetLastUsed(db_, principal.key_id, now).IgnoreError();
  }
  return principal;
}

void ApiKeyService::RecordScopeDenied(const Principal& principal, std::string_view scope,
                                      const AuditContext& ctx) {
  RecordDenied(principal.account_id, principal.key_id, "missing_scope:" + std::string(scope), ctx);
}

void ApiKeyService::RecordDenied(const std::string& account_id, const std::string& key_id,
                                 std::string_view reason, const AuditContext& ctx) {
  bool full;
  {
    std::lock_guard<std::mutex> lock(denials_mu_);
    full = denials_.size() >= kMaxDenialWindows;
  }
  if (full) FlushDenials();
  TimePoint now = clock_.Now();
  DenialWindow report;
  {
    std::lock_guard<std::mutex> lock(denials_mu_);
    if (denials_.size() >= kMaxDenialWindows) denials_.clear();
    auto [it, fresh] = denials_.try_emplace(key_id + " " + std::string(reason));
    DenialWindow& w = it->second;
    if (!fresh && now - w.started < kDenialWindow) {
      ++w.suppressed;
      w.last = ctx;
      return;
    }
    report = std::move(w);
    w = DenialWindow{now, 0, account_id, key_id, std::string(reason), {}};
  }
  report.account_id = account_id;
  report.key_id = key_id;
  report.reason = std::string(reason);
  AppendDenied(report, ctx);
}

int ApiKeyService::FlushDenials(bool all) {
  TimePoint now = clock_.Now();
  std::vector<DenialWindow> ended;
  {
    std::lock_guard<std::mutex> lock(denials_mu_);
    for (auto it = denials_.begin(); it != denials_.end();) {
      if (!all && now - it->second.started < kDenialWindow) {
        ++it;
        continue;
      }
      if (it->second.suppressed > 0) ended.push_back(std::move(it->second));
      it = denials_.erase(it);
    }
  }
  for (const DenialWindow& w : ended) AppendDenied(w, w.last);
  return static_cast<int>(ended.size());
}

void ApiKeyService::AppendDenied(const DenialWindow& window, const AuditContext& ctx) {
  AuditEvent event =
      AuditEvent::For(ctx, window.account_id, "auth.denied", window.key_id, "denied");
  event.actor = window.key_id;
  event.details = {{"reason", window.reason}};
  if (window.suppressed > 0) {
    event.details.emplace_back("suppressed", std::to_string(window.suppressed));
  }
  if (options_.writer) {
    options_.writer->Queue(std::move(event));
    return;
  }
  db_.Transaction([&](SqlExecutor& tx) -> Status { return audit_.Append(tx, event).status(); })
      .IgnoreError();  // the request is refused either way
}

Status ApiKeyService::DeleteAll(SqlExecutor& tx, const std::string& account_id) {
  return ApiKeyStore::DeleteAll(tx, account_id);
}

}  // namespace latchkey
