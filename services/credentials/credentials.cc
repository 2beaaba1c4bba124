// What both aggregates share: the migrations, the checks every value and
// host list goes through, and the proxy's path (Resolve, RecordUses) with
// its cache. The provider-key half of CredentialService is in
// provider_keys.cc, the typed-secret half in secrets.cc.
#include "services/credentials/credentials.h"

#include <nlohmann/json.hpp>

#include "common/hosts.h"
#include "common/json_text.h"
#include "common/secret_text.h"
#include "services/credentials/credential_store.h"
#include "services/credentials/credentials_internal.h"

namespace latchkey {

namespace credentials_internal {

Status CheckValue(std::string_view value, const std::string& field, size_t min_length) {
  RETURN_IF_ERROR(CheckSecretText(value, field, min_length, CredentialService::kMaxValueLength));
  if (!IsValidUtf8(value)) return InvalidArgument(field + " is not valid UTF-8");
  return Status::Ok();
}

Status CheckHosts(const std::vector<std::string>& hosts, const std::string& field) {
  if (hosts.empty()) return InvalidArgument(field + " must name at least one host");
  if (hosts.size() > CredentialService::kMaxHosts) {
    return InvalidArgument(field + " has more than " +
                           std::to_string(CredentialService::kMaxHosts) + " entries");
  }
  for (const auto& h : hosts) {
    Status s = ValidateHostPattern(h);
    if (!s.ok()) return InvalidArgument(field + ": " + s.message());
  }
  return Status::Ok();
}

Result<HttpUrl> CheckBaseUrl(const std::string& url, const std::string& field) {
  ASSIGN_OR_RETURN(HttpUrl parsed, ParseHttpUrl(url, field, kMaxBaseUrl));
  if (url.find_first_of("?#") != std::string::npos) {
    return InvalidArgument(field + " must not have a query or fragment");
  }
  return parsed;
}

Result<std::string> DumpJson(const nlohmann::json& j) {
  try {
    return j.dump();
  } catch (const nlohmann::json::exception&) {
    // Only type_error 316 (invalid UTF-8) can come out of dump().
    return InvalidArgument("text is not valid UTF-8");
  }
}

}  // namespace credentials_internal

using credentials_internal::InjectProviderKey;
using credentials_internal::InjectSecret;
using credentials_internal::kProviderKind;
using credentials_internal::kSecretKind;

namespace {

// The cache key: ids and names never hold a newline.
std::string CacheKey(const std::string& account_id, const std::string& name) {
  return account_id + '\n' + name;
}

}  // namespace

const std::vector<Migration>& CredentialService::Migrations() {
  return CredentialStore::Migrations();
}

std::vector<std::string> CredentialService::OwnedTables() { return CredentialStore::OwnedTables(); }

void CredentialService::ForgetAccount(const std::string& account_id) {
  std::string prefix = CacheKey(account_id, "");
  cache_.Forget(
      [&](const std::string& key, const StoredCredential&) { return key.starts_with(prefix); });
}

Result<std::shared_ptr<const CredentialService::StoredCredential>> CredentialService::Read(
    const std::string& account_id, const std::string& name) {
  auto stored = std::make_shared<StoredCredential>();
  if (const ProviderInfo* p = FindProvider(name)) {
    ASSIGN_OR_RETURN(auto key, CredentialStore::GetSealedProviderKey(db_, account_id, name));
    if (!key) return NotFound("no credential named '" + name + "'");
    stored->provider = p;
    stored->sealed = std::move(key->sealed);
    ProviderReach reach = EffectiveReach(*p, key->allowed_hosts, key->base_url);
    stored->allowed_hosts = std::move(reach.allowed_hosts);
    stored->base_url = std::move(reach.base_url);
  } else {
    ASSIGN_OR_RETURN(auto secret, CredentialStore::GetSealedSecret(db_, account_id, name));
    if (!secret) return NotFound("no credential named '" + name + "'");
    stored->type = secret->type;
    stored->sealed = std::move(secret->sealed);
    stored->allowed_hosts = std::move(secret->allowed_hosts);
    stored->base_url = secret->base_url.value_or("");
  }
  return std::shared_ptr<const StoredCredential>(std::move(stored));
}

Result<Injection> CredentialService::Resolve(const std::string& account_id,
                                             const std::string& name) {
  ASSIGN_OR_RETURN(
      std::shared_ptr<const StoredCredential> stored,
      cache_.Get(CacheKey(account_id, name), clock_.Now(), [&] { return Read(account_id, name); }));
  // Opened per call, never cached open: plaintext lives only as long as
  // the call that injects it.
  Injection inj;
  if (const ProviderInfo* p = stored->provider) {
    ASSIGN_OR_RETURN(SecretBytes key,
                     envelope_.Open(db_, account_id, kProviderKind, name, AsView(stored->sealed)));
    inj = InjectProviderKey(*p, key.view());
  } else {
    ASSIGN_OR_RETURN(SecretBytes plain,
                     envelope_.Open(db_, account_id, kSecretKind, name, AsView(stored->sealed)));
    ASSIGN_OR_RETURN(inj, InjectSecret(stored->type, plain.view()));
  }
  inj.allowed_hosts = stored->allowed_hosts;
  inj.base_url = stored->base_url;
  return inj;
}

Status CredentialService::RecordUses(SqlExecutor& tx, const std::string& account_id,
                                     const std::string& name, int64_t count, TimePoint last_used) {
  if (FindProvider(name)) {
    return CredentialStore::RecordProviderKeyUses(tx, account_id, name, count, last_used);
  }
  return CredentialStore::RecordSecretUses(tx, account_id, name, count, last_used);
}

}  // namespace latchkey
