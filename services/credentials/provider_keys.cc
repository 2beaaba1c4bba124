// The provider-key half of CredentialService: one key per account and
// provider, set and removed in all-or-nothing batches, summarized masked.
#include <string>

#include "common/hosts.h"
#include "common/secret_text.h"
#include "common/strings.h"
#include "common/url.h"
#include "services/credentials/credential_store.h"
#include "services/credentials/credentials.h"
#include "services/credentials/credentials_internal.h"

namespace latchkey {

namespace credentials_internal {

Injection InjectProviderKey(const ProviderInfo& provider, std::string_view key) {
  Wiped value{std::string(key)};
  Injection inj;
  inj.secrets.push_back(value.text);
  inj.headers.emplace_back(provider.header, provider.bearer ? "Bearer " + value.text : value.text);
  return inj;
}

}  // namespace credentials_internal

namespace {

using credentials_internal::CheckBaseUrl;
using credentials_internal::CheckHosts;
using credentials_internal::CheckValue;
using credentials_internal::kProviderKind;

// What one update changed, as comma-separated provider ids for its audit
// event (never the keys themselves).
struct ProviderChanges {
  std::string set;
  std::string removed;
  std::string hosts;
  std::string base_urls;
};

bool ListHas(const std::string& list, const std::string& id) {
  for (std::string_view item : SplitList(list)) {
    if (item == id) return true;
  }
  return false;
}

void AppendId(std::string& list, const std::string& id) {
  if (!list.empty()) list += ',';
  list += id;
}

// Everything is checked before anything is written, so a bad field fails
// the whole update.
Status CheckUpdate(const ProviderKeysUpdate& update) {
  for (const auto& [id, key] : update.keys) {
    const ProviderInfo* p = FindProvider(id);
    if (!p) return InvalidArgument("unknown provider '" + id + "'");
    if (key) RETURN_IF_ERROR(CheckValue(*key, p->field, CredentialService::kMinProviderKeyLength));
  }
  for (const auto& [id, hosts] : update.hosts) {
    if (!FindProvider(id)) return InvalidArgument("unknown provider '" + id + "'");
    if (hosts) RETURN_IF_ERROR(CheckHosts(*hosts, "allowedHosts." + id));
  }
  for (const auto& [id, url] : update.base_urls) {
    if (!FindProvider(id)) return InvalidArgument("unknown provider '" + id + "'");
    if (url) RETURN_IF_ERROR(CheckBaseUrl(*url, "baseUrls." + id).status());
  }
  return Status::Ok();
}

Status WriteKeys(SqlExecutor& tx, Envelope& envelope, const std::string& account_id,
                 const ProviderKeysUpdate& update, TimePoint now, ProviderChanges* changes) {
  for (const auto& [id, key] : update.keys) {
    if (!key) {
      ASSIGN_OR_RETURN(bool removed, CredentialStore::DeleteProviderKey(tx, account_id, id));
      if (removed) AppendId(changes->removed, id);
      continue;
    }
    ASSIGN_OR_RETURN(Bytes sealed, envelope.Seal(tx, account_id, kProviderKind, id, *key));
    RETURN_IF_ERROR(
        CredentialStore::PutProviderKey(tx, account_id, id, sealed, MaskedLast4(*key), now));
    AppendId(changes->set, id);
  }
  return Status::Ok();
}

// Runs after WriteKeys, so hosts may come with the key they belong to.
Status WriteHosts(SqlExecutor& tx, const std::string& account_id, const ProviderKeysUpdate& update,
                  TimePoint now, ProviderChanges* changes) {
  for (const auto& [id, hosts] : update.hosts) {
    ASSIGN_OR_RETURN(bool has_key,
                     CredentialStore::SetProviderHosts(tx, account_id, id, hosts, now));
    if (!has_key && hosts) {
      return InvalidArgument("allowedHosts." + id + ": set " + FindProvider(id)->field + " first");
    }
    AppendId(changes->hosts, id);
  }
  return Status::Ok();
}

// Runs after WriteHosts: a base URL's host is checked against the hosts
// the key has once the whole update is applied.
Status WriteBaseUrls(SqlExecutor& tx, const std::string& account_id,
                     const ProviderKeysUpdate& update, TimePoint now, ProviderChanges* changes) {
  if (update.base_urls.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto keys, CredentialStore::ListProviderKeys(tx, account_id));
  for (const auto& [id, url] : update.base_urls) {
    const ProviderInfo& provider = *FindProvider(id);
    const StoredProviderKey* key = nullptr;
    for (const auto& k : keys) {
      if (k.provider == id) key = &k;
    }
    if (!key) {
      if (!url) continue;  // nothing to restore
      return InvalidArgument("baseUrls." + id + ": set " + provider.field + " first");
    }
    if (url && key->allowed_hosts) {
      ASSIGN_OR_RETURN(HttpUrl parsed, CheckBaseUrl(*url, "baseUrls." + id));
      if (!HostAllowed(*key->allowed_hosts, parsed.host, parsed.port)) {
        return InvalidArgument("baseUrls." + id + ": " + parsed.host +
                               " is not among the key's allowed hosts; add it to allowedHosts." +
                               id);
      }
    }
    RETURN_IF_ERROR(CredentialStore::SetProviderBaseUrl(tx, account_id, id, url, now).status());
    AppendId(changes->base_urls, id);
    // Without hosts of its own the key's hosts follow its base URL: on
    // record as a change of hosts too.
    if (!key->allowed_hosts && !ListHas(changes->hosts, id)) AppendId(changes->hosts, id);
  }
  return Status::Ok();
}

AuditEvent ChangeEvent(const AuditContext& ctx, const std::string& account_id,
                       const ProviderChanges& changes) {
  AuditEvent event = AuditEvent::For(ctx, account_id, "credentials.update", "credentials");
  if (!changes.set.empty()) event.details.emplace_back("set", changes.set);
  if (!changes.removed.empty()) event.details.emplace_back("removed", changes.removed);
  if (!changes.hosts.empty()) event.details.emplace_back("allowed_hosts", changes.hosts);
  if (!changes.base_urls.empty()) event.details.emplace_back("base_urls", changes.base_urls);
  return event;
}

ProviderSummary Summarize(const ProviderInfo& provider,
                          const std::vector<StoredProviderKey>& keys) {
  ProviderSummary s;
  s.provider = &provider;
  s.allowed_hosts = provider.hosts;
  s.base_url = provider.base_url;
  for (const StoredProviderKey& key : keys) {
    if (key.provider != provider.id) continue;
    s.has_key = true;
    s.last4 = key.last4;
    ProviderReach reach = EffectiveReach(provider, key.allowed_hosts, key.base_url);
    s.allowed_hosts = std::move(reach.allowed_hosts);
    s.base_url = std::move(reach.base_url);
    s.custom_hosts = key.allowed_hosts.has_value();
    s.custom_base_url = key.base_url.has_value();
    s.updated_at = key.updated_at;
    s.last_used_at = key.last_used_at;
    s.use_count = key.use_count;
  }
  return s;
}

}  // namespace

Result<CredentialsSummary> CredentialService::PutProviderKeys(const std::string& account_id,
                                                              const ProviderKeysUpdate& update,
                                                              const AuditContext& ctx) {
  RETURN_IF_ERROR(CheckUpdate(update));
  auto summary =
      TransactionValue<CredentialsSummary>(db_, [&](SqlExecutor& tx) -> Result<CredentialsSummary> {
        TimePoint now = clock_.Now();
        ProviderChanges changes;
        RETURN_IF_ERROR(WriteKeys(tx, envelope_, account_id, update, now, &changes));
        RETURN_IF_ERROR(WriteHosts(tx, account_id, update, now, &changes));
        RETURN_IF_ERROR(WriteBaseUrls(tx, account_id, update, now, &changes));
        RETURN_IF_ERROR(audit_.Append(tx, ChangeEvent(ctx, account_id, changes)).status());
        return SummaryIn(tx, account_id);
      });
  ForgetAccount(account_id);  // the proxy uses the new keys at once
  return summary;
}

Result<CredentialsSummary> CredentialService::Summary(const std::string& account_id) {
  RETURN_IF_ERROR(SyncUses());
  return SummaryIn(db_, account_id);
}

Result<CredentialsSummary> CredentialService::SummaryIn(SqlExecutor& exec,
                                                        const std::string& account_id) {
  ASSIGN_OR_RETURN(auto keys, CredentialStore::ListProviderKeys(exec, account_id));
  CredentialsSummary summary;
  for (const ProviderInfo& p : Providers()) {
    ProviderSummary s = Summarize(p, keys);
    if (s.updated_at && (!summary.updated_at || *s.updated_at > *summary.updated_at)) {
      summary.updated_at = s.updated_at;
    }
    summary.providers.push_back(std::move(s));
  }
  return summary;
}

}  // namespace latchkey
